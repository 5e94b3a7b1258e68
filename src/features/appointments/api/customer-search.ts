import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Customer, Page } from '../../../types/api'

type Scope = { business_id?: number }

/** The first customers matching a name or phone, for picking who the appointment is for. */
export const searchCustomers = (q: string, scope: Scope, signal?: AbortSignal) =>
  api.get<Page<Customer>>('/api/crm/customers', { query: { q, page: 1, limit: 8, ...scope }, signal })

export function useCustomerSearch(q: string, scope: Scope) {
  return useQuery({
    queryKey: ['customers', 'list', 'pick', q, scope],
    queryFn: ({ signal }) => searchCustomers(q, scope, signal),
    enabled: q.trim().length > 0,
    placeholderData: keepPreviousData,
  })
}
