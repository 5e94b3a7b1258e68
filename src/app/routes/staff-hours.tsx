import { StaffHours } from '../../features/appointments/components/StaffHours'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

/** Every role reads the staff hours; the business admin edits them. The feed URL is a secret: staff and admins only. */
export default function StaffHoursRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.staffHours.title}</h1>
      {businessId ? <StaffHours scope={params} canEdit={can.admin(user)} showFeed={can.write(user)} /> : <PickBusiness />}
    </section>
  )
}
