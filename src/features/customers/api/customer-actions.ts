import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Customer, CustomerInput } from '../../../types/api'

type Scope = { business_id?: number }

// A platform admin names the business in the body; staff are pinned to their own.
export const createCustomer = (input: CustomerInput, scope: Scope) =>
  api.post<Customer>('/api/crm/customers', { ...input, ...scope })
export const updateCustomer = (id: number, input: CustomerInput, scope: Scope) =>
  api.put<Customer>(`/api/crm/customers/${id}`, input, { query: scope })
export const deleteCustomer = (id: number, scope: Scope) =>
  api.delete<{ ok: boolean }>(`/api/crm/customers/${id}`, { query: scope })

function useCustomerMutation<V, R>(fn: (variables: V) => Promise<R>) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: fn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['customers'] }),
  })
}

export const useCreateCustomer = (scope: Scope) => useCustomerMutation((input: CustomerInput) => createCustomer(input, scope))
export const useUpdateCustomer = (scope: Scope) =>
  useCustomerMutation(({ id, input }: { id: number; input: CustomerInput }) => updateCustomer(id, input, scope))
export const useDeleteCustomer = (scope: Scope) => useCustomerMutation((id: number) => deleteCustomer(id, scope))
