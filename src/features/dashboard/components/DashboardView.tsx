import { Link } from 'react-router'
import { Empty, ErrorState, Loading } from '../../../components/states'
import { formatDateTime, formatPhone, formatTime } from '../../../lib/format'
import { he } from '../../../lib/strings'
import { useDashboard } from '../api/get-dashboard'
import { ActivityChart } from './ActivityChart'

export function DashboardView({ businessId }: { businessId: number | null }) {
  const query = useDashboard(businessId ? { business_id: businessId, days: 14 } : { days: 14 })
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  const { today, days, recent_calls: recent, appointments_today: appointments, no_show: noShow } = query.data
  return (
    <>
      <div className="stats">
        <Stat label={he.dashboard.callsToday} value={today.calls} to="/calls" testId="stat-calls" />
        <Stat label={he.dashboard.messagesToday} value={today.messages} to="/inbox" testId="stat-messages" />
        <Stat label={he.dashboard.openTasks} value={today.open_tasks} testId="stat-tasks" />
        <Stat label={he.dashboard.appointmentsToday} value={today.appointments} to="/calendar" testId="stat-appointments" />
        <div className="stat card">
          <span className="stat-value" data-testid="stat-no-show">{noShow.rate === null ? he.common.none : formatPercent(noShow.rate)}</span>
          <span className="stat-label">{he.dashboard.noShowRate}</span>
          <small className="muted">{noShow.rate === null ? he.dashboard.noShowNone : he.dashboard.noShowDetail(noShow.no_shows, noShow.appointments)}</small>
        </div>
      </div>
      <section className="card">
        <div className="row-between">
          <h2>{he.dashboard.appointmentsToday}</h2>
          <Link to="/calendar">{he.dashboard.toCalendar}</Link>
        </div>
        {appointments.length === 0 ? (
          <Empty>{he.dashboard.noAppointmentsToday}</Empty>
        ) : (
          <ul className="plain-list" aria-label={he.dashboard.appointmentsToday}>
            {appointments.map((a) => (
              <li key={a.id} className="row-between">
                <span>
                  <time className="appt-time">{formatTime(a.start)}</time>{' '}
                  <Link to={`/customers/${a.customer_id}`}>{a.customer_name}</Link>
                  <span className="muted"> — {a.service_name} · {he.appointments.with(a.staff_name)}</span>
                </span>
                <span className="muted">{he.appointments.statuses[a.status] ?? a.status}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card">
        <h2>{he.dashboard.chartTitle}</h2>
        <ActivityChart days={days} />
      </section>
      <section className="card">
        <h2>{he.dashboard.recentCalls}</h2>
        {recent.length === 0 ? (
          <Empty>{he.calls.empty}</Empty>
        ) : (
          <ul className="plain-list">
            {recent.map((call) => (
              <li key={call.id} className="row-between">
                <span>
                  {call.customer_id ? (
                    <Link to={`/customers/${call.customer_id}`}>{call.customer_name || formatPhone(call.from)}</Link>
                  ) : (
                    <span dir="ltr">{formatPhone(call.from)}</span>
                  )}
                  {call.summary && <span className="muted"> — {call.summary}</span>}
                </span>
                <time className="muted">{formatDateTime(call.started_at)}</time>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  )
}

const percent = new Intl.NumberFormat('he-IL', { style: 'percent', maximumFractionDigits: 0 })

/** 0.125 → "13%" (the rate arrives as a fraction). */
export function formatPercent(rate: number): string {
  return percent.format(rate)
}

function Stat({ label, value, to, testId }: { label: string; value: number; to?: string; testId: string }) {
  const body = (
    <>
      <span className="stat-value" data-testid={testId}>{value.toLocaleString('he-IL')}</span>
      <span className="stat-label">{label}</span>
    </>
  )
  return to ? <Link className="stat card" to={to}>{body}</Link> : <div className="stat card">{body}</div>
}
