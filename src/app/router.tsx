import { lazy, Suspense, type ComponentType } from 'react'
import { createBrowserRouter, createMemoryRouter, type RouteObject } from 'react-router'
import { Loading } from '../components/states'
import { AppShell } from './AppShell'
import LoginRoute from './routes/login'
import NotFoundRoute from './routes/not-found'

// Each screen is its own chunk: the first load carries the shell and the login form only.
function page(load: () => Promise<{ default: ComponentType }>) {
  const Page = lazy(load)
  return (
    <Suspense fallback={<Loading />}>
      <Page />
    </Suspense>
  )
}

export const routes: RouteObject[] = [
  { path: '/login', element: <LoginRoute /> },
  {
    path: '/',
    element: <AppShell />,
    children: [
      { index: true, element: page(() => import('./routes/dashboard')) },
      { path: 'customers', element: page(() => import('./routes/customers')) },
      { path: 'customers/:customerId', element: page(() => import('./routes/customer')) },
      { path: 'calls', element: page(() => import('./routes/calls')) },
      { path: 'inbox', element: page(() => import('./routes/inbox')) },
      { path: 'agent', element: page(() => import('./routes/agent')) },
      { path: 'agent/settings', element: page(() => import('./routes/agent-settings')) },
      { path: 'knowledge', element: page(() => import('./routes/knowledge')) },
      { path: 'automations', element: page(() => import('./routes/automations')) },
      { path: 'campaigns', element: page(() => import('./routes/campaigns')) },
      { path: 'calendar', element: page(() => import('./routes/calendar')) },
      { path: 'services', element: page(() => import('./routes/services')) },
      { path: 'staff-hours', element: page(() => import('./routes/staff-hours')) },
      { path: 'admin/businesses', element: page(() => import('./routes/businesses')) },
      { path: 'admin/users', element: page(() => import('./routes/users')) },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
]

export function createAppRouter() {
  return createBrowserRouter(routes)
}

export function createTestRouter(initialEntries: string[]) {
  return createMemoryRouter(routes, { initialEntries })
}
