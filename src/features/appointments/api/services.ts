import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Service } from '../../../types/api'

type Scope = { business_id?: number }
export type ServiceInput = Omit<Service, 'id'>

export const getServices = (scope: Scope) => api.get<Service[]>('/api/services', { query: scope })

export function useServices(scope: Scope) {
  return useQuery({ queryKey: ['appointments', 'services', scope], queryFn: () => getServices(scope) })
}

export function useSaveService(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: ({ id, input }: { id?: number; input: ServiceInput }) =>
      id === undefined
        ? api.post<Service>('/api/services', input, { query: scope })
        : api.put<Service>(`/api/services/${id}`, input, { query: scope }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['appointments', 'services'] }),
  })
}

export function useDeleteService(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (id: number) => api.delete<{ ok: boolean }>(`/api/services/${id}`, { query: scope }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['appointments', 'services'] }),
  })
}
