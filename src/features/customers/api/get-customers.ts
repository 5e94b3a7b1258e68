import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Customer, Page } from '../../../types/api'

export interface CustomersQuery {
  page: number
  limit: number
  q?: string
  business_id?: number
}

/** A page of customers; `totalExact` is false when a broad search's count stopped at its cap. */
export type CustomersPage = Page<Customer> & { totalExact: boolean }

export async function getCustomers(query: CustomersQuery, signal?: AbortSignal): Promise<CustomersPage> {
  const { data, headers } = await api.getWithHeaders<Page<Customer>>('/api/crm/customers', { query: { ...query }, signal })
  return { ...data, totalExact: headers.get('X-Total-Exact') !== 'false' }
}

export function useCustomers(query: CustomersQuery, enabled = true) {
  return useQuery({
    queryKey: ['customers', 'list', query],
    queryFn: ({ signal }) => getCustomers(query, signal),
    // Keep the last page on screen while the next search answers: no flicker as you type.
    placeholderData: keepPreviousData,
    enabled,
  })
}
