import { Inbox } from '../../features/whatsapp/components/Inbox'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

export default function InboxRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.whatsapp.inboxTitle}</h1>
      {businessId ? <Inbox scope={params} canWrite={can.write(user)} /> : <PickBusiness />}
    </section>
  )
}
