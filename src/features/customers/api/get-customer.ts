import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Customer } from '../../../types/api'

export function getCustomer(id: number, params: { business_id?: number }) {
  return api.get<Customer>(`/api/crm/customers/${id}`, { query: params })
}

export function useCustomer(id: number, params: { business_id?: number }) {
  return useQuery({ queryKey: ['customers', 'one', id, params], queryFn: () => getCustomer(id, params) })
}
