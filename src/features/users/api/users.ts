import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import { itemsOf, type AppUser, type AppUserInput } from '../../../types/api'

export async function getUsers(params: { business_id?: number }): Promise<AppUser[]> {
  return itemsOf(await api.get<AppUser[] | { items: AppUser[] }>('/api/users', { query: { ...params, limit: 100 } }))
}

export function useUsers(params: { business_id?: number }) {
  return useQuery({ queryKey: ['users', params], queryFn: () => getUsers(params) })
}

export const createUser = (input: AppUserInput) => api.post<AppUser>('/api/users', input)
export const updateUser = (id: number, input: AppUserInput) => api.put<AppUser>(`/api/users/${id}`, input)
export const setUserActive = (id: number, active: boolean) =>
  api.post<AppUser>(`/api/users/${id}/${active ? 'reactivate' : 'deactivate'}`)

export function useCreateUser() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: createUser, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }) })
}

export function useSetUserActive() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: ({ id, active }: { id: number; active: boolean }) => setUserActive(id, active),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  })
}

export function useUpdateUser() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: ({ id, input }: { id: number; input: AppUserInput }) => updateUser(id, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  })
}
