// The logged-in user (GET /api/auth/me), login/logout, and what the user's role may do.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ApiError, setCsrfToken } from './api-client'

export type Role = 'admin' | 'staff' | 'viewer'

export interface User {
  id: number
  email: string
  role: Role
  business_id: number | null
  business_name?: string | null
  name?: string | null
}

interface LoginResponse {
  user: User
  csrf_token: string
}

export const meQueryKey = ['auth', 'me'] as const

export async function getMe(): Promise<User | null> {
  try {
    return await api.get<User>('/api/auth/me', { skipAuthRedirect: true })
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null
    throw error
  }
}

export function useUser() {
  return useQuery({ queryKey: meQueryKey, queryFn: getMe, staleTime: 5 * 60_000, retry: false })
}

export function useLogin() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      api.post<LoginResponse>('/api/auth/login', body, { skipAuthRedirect: true }),
    onSuccess: (data) => {
      setCsrfToken(data.csrf_token)
      queryClient.clear()
      // /me adds the business name; until it answers, the login payload is enough.
      queryClient.setQueryData(meQueryKey, data.user)
      void queryClient.invalidateQueries({ queryKey: meQueryKey })
    },
  })
}

export function useLogout() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: () => api.post('/api/auth/logout', undefined, { skipAuthRedirect: true }),
    onSettled: () => {
      setCsrfToken(null)
      queryClient.clear()
      queryClient.setQueryData(meQueryKey, null)
    },
  })
}

export const can = {
  /** Staff and admins change CRM data; viewers only read. */
  write: (user: User | null | undefined) => !!user && (user.role === 'staff' || user.role === 'admin'),
  admin: (user: User | null | undefined) => !!user && user.role === 'admin',
  /** A platform admin (no business) manages businesses and chooses which one to look at. */
  platform: (user: User | null | undefined) => !!user && user.role === 'admin' && user.business_id === null,
}
