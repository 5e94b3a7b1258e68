import { useState } from 'react'
import { Link } from 'react-router'
import { Dialog } from '../../../components/Dialog'
import { ErrorState, Loading } from '../../../components/states'
import { formatDate, formatMoney, formatTime, israelDay } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { AppointmentOnTimeline } from '../../../types/api'
import { useCustomerAppointments as useCustomerAppointmentsQuery } from '../api/customer-appointments'
import { useServices } from '../api/services'
import { useStaffCalendars } from '../api/staff-calendars'
import { israelToday, splitByNow, weekday } from '../calendar'
import { AppointmentForm } from './AppointmentForm'

type Scope = { business_id?: number }
const t = he.appointments

/** "יום חמישי 10.12.2026, 10:30" */
function when(a: AppointmentOnTimeline): string {
  if (!a.start) return he.common.none
  return `${t.dayOf(t.dayNames[weekday(israelDay(a.start))])} ${formatDate(a.start)}, ${formatTime(a.start)}`
}

/** The customer's appointments on their card: upcoming first, then past, each with its status. */
export function CustomerAppointments({ customer, scope, canWrite }: {
  customer: { id: number; name: string }
  scope: Scope
  canWrite: boolean
}) {
  const query = useCustomerAppointmentsQuery(customer.id, scope)
  const [booking, setBooking] = useState(false)
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  const { upcoming, past } = splitByNow(query.data, new Date())
  return (
    <div className="customer-appointments">
      <div className="row-between">
        <h3>{t.upcoming}</h3>
        {canWrite && <button type="button" className="btn btn-small" onClick={() => setBooking(true)}>{t.new}</button>}
      </div>
      <AppointmentList items={upcoming} empty={t.noUpcoming} label={t.upcoming} />
      <h3>{t.past}</h3>
      <AppointmentList items={past.slice(0, 10)} empty={t.noPast} label={t.past} />
      {booking && <BookForCustomer customer={customer} scope={scope} onClose={() => setBooking(false)} />}
    </div>
  )
}

function AppointmentList({ items, empty, label }: { items: AppointmentOnTimeline[]; empty: string; label: string }) {
  if (items.length === 0) return <p className="muted">{empty}</p>
  return (
    <ul className="plain-list" aria-label={label}>
      {items.map((a) => (
        <li key={a.id} className={`row-between appt-row appt-${a.status}`}>
          <span>
            <strong>{a.service_name}</strong> · {when(a)} · {t.with(a.staff_name)}
          </span>
          <span>
            <span className={`pill appt-pill-${a.status}`}>{t.statuses[a.status] ?? a.status}</span>{' '}
            <span className="muted">{formatMoney(a.price_agorot)}</span>
          </span>
        </li>
      ))}
    </ul>
  )
}

function BookForCustomer({ customer, scope, onClose }: { customer: { id: number; name: string }; scope: Scope; onClose: () => void }) {
  const services = useServices(scope)
  const staff = useStaffCalendars(scope)
  const today = israelToday()
  return (
    <Dialog title={t.newTitle} open onClose={onClose}>
      {services.data && staff.data ? (
        <AppointmentForm scope={scope} services={services.data} staff={staff.data} customer={customer} day={today}
          today={today} onCancel={onClose} onDone={onClose} />
      ) : <Loading />}
      <p><Link to="/calendar">{he.dashboard.toCalendar}</Link></p>
    </Dialog>
  )
}
