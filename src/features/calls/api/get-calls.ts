import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Call, Page } from '../../../types/api'

export interface CallsQuery {
  page: number
  limit: number
  business_id?: number
}

/** The calls log; the server may answer a page object or a bare list. */
export async function getCalls(query: CallsQuery): Promise<Page<Call>> {
  const data = await api.get<Page<Call> | Call[]>('/api/calls', { query: { ...query } })
  return Array.isArray(data) ? { page: query.page, limit: query.limit, total: data.length, items: data } : data
}

export function useCalls(query: CallsQuery) {
  return useQuery({ queryKey: ['calls', query], queryFn: () => getCalls(query), placeholderData: keepPreviousData })
}
