import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router'
import { LoginForm } from '../../features/auth/components/LoginForm'
import { useUser } from '../../lib/auth'
import { he } from '../../lib/strings'

export default function LoginRoute() {
  const navigate = useNavigate()
  const location = useLocation()
  const [params] = useSearchParams()
  const { data: user } = useUser()
  const next = params.get('next') || '/'
  const safeNext = next.startsWith('/') && !next.startsWith('//') ? next : '/'
  if (user) return <Navigate to={safeNext} replace />
  const expired = params.get('expired') === '1' || (location.state as { expired?: boolean } | null)?.expired
  return (
    <main className="login-page">
      <LoginForm onSuccess={() => navigate(safeNext, { replace: true })} notice={expired ? he.login.sessionExpired : undefined} />
    </main>
  )
}
