import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Customer, Page } from '../../../types/api'

export interface CustomersQuery {
  page: number
  limit: number
  q?: string
  business_id?: number
}

export function getCustomers(query: CustomersQuery) {
  return api.get<Page<Customer>>('/api/crm/customers', { query: { ...query } })
}

export function useCustomers(query: CustomersQuery, enabled = true) {
  return useQuery({
    queryKey: ['customers', 'list', query],
    queryFn: ({ signal }) => api.get<Page<Customer>>('/api/crm/customers', { query: { ...query }, signal }),
    // Keep the last page on screen while the next search answers: no flicker as you type.
    placeholderData: keepPreviousData,
    enabled,
  })
}
