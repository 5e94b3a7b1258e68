import { CalendarView } from '../../features/appointments/components/CalendarView'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

/** Every role sees the calendar; staff and admins book, move and cancel. */
export default function CalendarRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.appointments.title}</h1>
      {businessId ? <CalendarView scope={params} canWrite={can.write(user)} /> : <PickBusiness />}
    </section>
  )
}
