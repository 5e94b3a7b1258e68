import { QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import type { ReactElement } from 'react'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { makeQueryClient } from '../app/App'
import { meQueryKey, type User } from '../lib/auth'
import { BusinessScopeProvider } from '../lib/business-scope'

/** Renders a component inside the app's providers, as `user` (null: logged out). */
export function renderWithApp(ui: ReactElement, { user = null, path = '/' }: { user?: User | null; path?: string } = {}) {
  const queryClient = makeQueryClient()
  queryClient.setDefaultOptions({ queries: { retry: false, staleTime: Infinity } })
  queryClient.setQueryData(meQueryKey, user)
  const element = user ? <BusinessScopeProvider user={user}>{ui}</BusinessScopeProvider> : ui
  const router = createMemoryRouter([{ path: '*', element }], { initialEntries: [path] })
  const result = render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  )
  return { ...result, queryClient, router }
}

export const staff: User = { id: 2, email: 'staff@kesher.test', role: 'staff', business_id: 1, business_name: 'מספרת רותי' }
export const viewer: User = { id: 3, email: 'viewer@kesher.test', role: 'viewer', business_id: 1, business_name: 'מספרת רותי' }
export const platformAdmin: User = { id: 1, email: 'admin@kesher.test', role: 'admin', business_id: null }
