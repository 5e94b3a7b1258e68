import { Automations } from '../../features/automations/components/Automations'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

/** Every role of the business sees its automations; the admin switches and edits them. */
export default function AutomationsRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.automations.title}</h1>
      {businessId ? <Automations scope={params} canEdit={can.admin(user)} /> : <PickBusiness />}
    </section>
  )
}
