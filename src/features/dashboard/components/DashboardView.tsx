import { Link } from 'react-router'
import { Empty, ErrorState, Loading } from '../../../components/states'
import { formatDateTime, formatPhone } from '../../../lib/format'
import { he } from '../../../lib/strings'
import { useDashboard } from '../api/get-dashboard'
import { ActivityChart } from './ActivityChart'

export function DashboardView({ businessId }: { businessId: number | null }) {
  const query = useDashboard(businessId ? { business_id: businessId, days: 14 } : { days: 14 })
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  const { today, days, recent_calls: recent } = query.data
  return (
    <>
      <div className="stats">
        <Stat label={he.dashboard.callsToday} value={today.calls} to="/calls" testId="stat-calls" />
        <Stat label={he.dashboard.messagesToday} value={today.messages} to="/inbox" testId="stat-messages" />
        <Stat label={he.dashboard.openTasks} value={today.open_tasks} testId="stat-tasks" />
      </div>
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

function Stat({ label, value, to, testId }: { label: string; value: number; to?: string; testId: string }) {
  const body = (
    <>
      <span className="stat-value" data-testid={testId}>{value.toLocaleString('he-IL')}</span>
      <span className="stat-label">{label}</span>
    </>
  )
  return to ? <Link className="stat card" to={to}>{body}</Link> : <div className="stat card">{body}</div>
}
