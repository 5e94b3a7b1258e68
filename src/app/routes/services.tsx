import { ServicesAdmin } from '../../features/appointments/components/ServicesAdmin'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

/** Every role reads the price list; the business admin edits it. */
export default function ServicesRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.services.title}</h1>
      {businessId ? <ServicesAdmin scope={params} canEdit={can.admin(user)} /> : <PickBusiness />}
    </section>
  )
}
