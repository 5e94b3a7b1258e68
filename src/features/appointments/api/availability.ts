import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Slot } from '../../../types/api'

type Scope = { business_id?: number }
export interface SlotsQuery {
  service_id: number
  from: string
  to: string
  staff_id?: number
}

/** Free slots of a service on the Israeli days [from, to]. */
export const getSlots = (query: SlotsQuery, scope: Scope) =>
  api.get<Slot[]>('/api/availability', { query: { ...query, ...scope } })

export function useSlots(query: SlotsQuery | null, scope: Scope) {
  return useQuery({
    queryKey: ['appointments', 'slots', query, scope],
    queryFn: () => getSlots(query!, scope),
    enabled: query !== null,
  })
}
