import { CallsLog } from '../../features/calls/components/CallsLog'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

export default function CallsRoute() {
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.calls.title}</h1>
      {businessId ? <CallsLog scope={params} /> : <PickBusiness />}
    </section>
  )
}
