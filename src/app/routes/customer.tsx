import { Link, useParams } from 'react-router'
import { CustomerAppointments } from '../../features/appointments/components/CustomerAppointments'
import { CustomerCard } from '../../features/customers/components/CustomerCard'
import { TaskForm } from '../../features/timeline/components/TaskForm'
import { Timeline } from '../../features/timeline/components/Timeline'
import { SendBox } from '../../features/whatsapp/components/SendBox'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import NotFoundRoute from './not-found'

export default function CustomerRoute() {
  const { customerId } = useParams()
  const id = Number(customerId)
  const { data: user } = useUser()
  const { params } = useBusinessScope()
  if (!Number.isInteger(id) || id <= 0) return <NotFoundRoute />
  const canWrite = can.write(user)
  return (
    <section className="page">
      <Link to="/customers" className="back">{he.customers.backToList}</Link>
      <CustomerCard customerId={id} scope={params} canWrite={canWrite}>
        {(customer) => (
          <>
            {canWrite && (
              <section className="card">
                <h2>{he.whatsapp.sendLabel}</h2>
                <SendBox to={customer.phone} customerId={customer.id} scope={params} />
              </section>
            )}
            <section className="card" aria-label={he.appointments.onCard}>
              <h2>{he.appointments.onCard}</h2>
              <CustomerAppointments customer={customer} scope={params} canWrite={canWrite} />
            </section>
            <section className="card">
              <h2>{he.timeline.title}</h2>
              {canWrite && <TaskForm customerId={customer.id} scope={params} />}
              <Timeline customerId={customer.id} scope={params} canWrite={canWrite} />
            </section>
          </>
        )}
      </CustomerCard>
    </section>
  )
}
