import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { components } from '../../../types/api.generated'
import type { StaffCalendar } from '../../../types/api'

type Scope = { business_id?: number }
export type Break = components['schemas']['Break']
export type Hours = Record<string, [string, string][]>
export interface StaffInput {
  name?: string
  hours?: Hours
  breaks?: Break[]
  days_off?: string[]
  active?: boolean
}

export const getStaffCalendars = (scope: Scope) => api.get<StaffCalendar[]>('/api/staff-calendars', { query: scope })

export function useStaffCalendars(scope: Scope) {
  return useQuery({ queryKey: ['appointments', 'staff', scope], queryFn: () => getStaffCalendars(scope) })
}

export function useSaveStaff(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: ({ id, input }: { id?: number; input: StaffInput }) =>
      id === undefined
        ? api.post<StaffCalendar>('/api/staff-calendars', input, { query: scope })
        : api.put<StaffCalendar>(`/api/staff-calendars/${id}`, input, { query: scope }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['appointments', 'staff'] }),
  })
}
