import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import { businessesQueryKey } from './get-businesses'
import type { Business, BusinessInput } from '../../../types/api'

export const createBusiness = (input: BusinessInput) => api.post<Business>('/api/businesses', input)
export const updateBusiness = (id: number, input: BusinessInput) => api.put<Business>(`/api/businesses/${id}`, input)
export const deactivateBusiness = (id: number) => api.post<Business>(`/api/businesses/${id}/deactivate`)
export const reactivateBusiness = (id: number) => api.post<Business>(`/api/businesses/${id}/reactivate`)
export const deleteBusiness = (id: number) => api.delete<{ ok: boolean }>(`/api/businesses/${id}`)

function useBusinessMutation<V>(fn: (variables: V) => Promise<unknown>) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: fn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: businessesQueryKey }),
  })
}

export const useCreateBusiness = () => useBusinessMutation((input: BusinessInput) => createBusiness(input))
export const useUpdateBusiness = () =>
  useBusinessMutation(({ id, input }: { id: number; input: BusinessInput }) => updateBusiness(id, input))
export const useDeactivateBusiness = () => useBusinessMutation((id: number) => deactivateBusiness(id))
export const useReactivateBusiness = () => useBusinessMutation((id: number) => reactivateBusiness(id))
export const useDeleteBusiness = () => useBusinessMutation((id: number) => deleteBusiness(id))
