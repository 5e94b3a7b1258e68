import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { TimelineItem } from '../../../types/api'

export function getTimeline(customerId: number, params: { business_id?: number }) {
  return api.get<TimelineItem[]>(`/api/customers/${customerId}/timeline`, { query: params })
}

export function useTimeline(customerId: number, params: { business_id?: number }) {
  return useQuery({ queryKey: ['timeline', customerId, params], queryFn: () => getTimeline(customerId, params) })
}
