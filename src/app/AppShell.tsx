import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router'
import { Loading, ErrorState } from '../components/states'
import { useBusinesses } from '../features/businesses/api/get-businesses'
import { can, useLogout, useUser, type User } from '../lib/auth'
import { BusinessScopeProvider, useBusinessScope } from '../lib/business-scope'
import { useRealtime } from '../lib/realtime'
import { he } from '../lib/strings'

export function AppShell() {
  const { data: user, isPending, error, refetch } = useUser()
  const location = useLocation()
  if (isPending) return <Loading />
  if (error) return <ErrorState error={error} onRetry={() => void refetch()} />
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search)
    const expired = location.pathname !== '/' ? '&expired=1' : ''
    return <Navigate to={`/login?next=${next}${expired}`} replace />
  }
  return (
    <BusinessScopeProvider user={user}>
      <Shell user={user} />
    </BusinessScopeProvider>
  )
}

function Shell({ user }: { user: User }) {
  const live = useRealtime(true)
  const logout = useLogout()
  const navigate = useNavigate()
  return (
    <div className="shell">
      <header className="topbar">
        <NavLink to="/" className="brand">
          {he.appName}
        </NavLink>
        <nav className="mainnav" aria-label={he.nav.menu}>
          <NavLink to="/" end>{he.nav.dashboard}</NavLink>
          <NavLink to="/calendar">{he.nav.calendar}</NavLink>
          <NavLink to="/customers">{he.nav.customers}</NavLink>
          <NavLink to="/calls">{he.nav.calls}</NavLink>
          <NavLink to="/inbox">{he.nav.inbox}</NavLink>
          {can.write(user) && <NavLink to="/agent" end>{he.nav.agent}</NavLink>}
          <NavLink to="/agent/settings">{he.nav.agentSettings}</NavLink>
          <NavLink to="/knowledge">{he.nav.knowledge}</NavLink>
          <NavLink to="/automations">{he.nav.automations}</NavLink>
          <NavLink to="/campaigns">{he.nav.campaigns}</NavLink>
          <NavLink to="/services">{he.nav.services}</NavLink>
          <NavLink to="/staff-hours">{he.nav.staffHours}</NavLink>
          {can.admin(user) && <NavLink to="/admin/users">{he.nav.users}</NavLink>}
          {can.platform(user) && <NavLink to="/admin/businesses">{he.nav.businesses}</NavLink>}
        </nav>
        <div className="topbar-end">
          {can.platform(user) ? <BusinessPicker /> : user.business_name && <span className="chip">{user.business_name}</span>}
          <span className={`live-dot${live ? ' is-live' : ''}`} title={live ? he.common.live : he.common.offline}
            aria-label={live ? he.common.live : he.common.offline} role="img" />
          <span className="whoami" title={user.email}>
            <span dir="ltr">{user.name || user.email}</span>
            <small>{can.platform(user) ? he.roles.platform : he.roles[user.role]}</small>
          </span>
          <button type="button" className="btn btn-ghost" onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login') })}>
            {he.nav.logout}
          </button>
        </div>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  )
}

function BusinessPicker() {
  const { businessId, setBusinessId } = useBusinessScope()
  const { data: businesses } = useBusinesses()
  return (
    <label className="business-picker">
      <span className="visually-hidden">{he.nav.business}</span>
      <select value={businessId ?? ''} onChange={(e) => setBusinessId(e.target.value ? Number(e.target.value) : null)}>
        <option value="">{he.nav.allBusinesses}</option>
        {businesses?.map((b) => (
          <option key={b.id} value={b.id}>
            {b.name}{b.active ? '' : ` (${he.businesses.inactive})`}
          </option>
        ))}
      </select>
    </label>
  )
}
