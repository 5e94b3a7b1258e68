import { TryAgent } from '../../features/agent/components/TryAgent'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import NotFoundRoute from './not-found'
import { PickBusiness } from './pick-business'

export default function AgentRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  if (!can.write(user)) return <NotFoundRoute />
  return (
    <section className="page">
      <h1>{he.agent.title}</h1>
      {businessId ? <TryAgent scope={params} /> : <PickBusiness />}
    </section>
  )
}
