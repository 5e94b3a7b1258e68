import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Appointment } from '../../../types/api'

type Scope = { business_id?: number }
export interface AppointmentsWindow {
  from: string
  to: string
  staff_id?: number
}
export interface BookInput {
  customer_id: number
  service_id: number
  start: string
  staff_id?: number
  notes?: string
}
export interface MoveInput {
  start?: string
  staff_id?: number
  status?: string
}

/** Every appointment overlapping the Israeli days [from, to] (both included). */
export const getAppointments = (window: AppointmentsWindow, scope: Scope) =>
  api.get<Appointment[]>('/api/appointments', { query: { ...window, ...scope } })

export function useAppointments(window: AppointmentsWindow, scope: Scope) {
  return useQuery({ queryKey: ['appointments', 'list', window, scope], queryFn: () => getAppointments(window, scope) })
}

function useInvalidate() {
  const queryClient = useQueryClient()
  return () => Promise.all([
    queryClient.invalidateQueries({ queryKey: ['appointments', 'list'] }),
    queryClient.invalidateQueries({ queryKey: ['appointments', 'slots'] }),
    queryClient.invalidateQueries({ queryKey: ['timeline'] }),
    queryClient.invalidateQueries({ queryKey: ['dashboard'] }),
  ])
}

export function useBook(scope: Scope) {
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (input: BookInput) => api.post<Appointment>('/api/appointments', { ...input, source: 'web' }, { query: scope }),
    onSuccess: invalidate,
  })
}

export function useMove(scope: Scope) {
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: ({ id, input }: { id: number; input: MoveInput }) =>
      api.put<Appointment>(`/api/appointments/${id}`, input, { query: scope }),
    onSuccess: invalidate,
  })
}

export function useCancel(scope: Scope) {
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (id: number) => api.post<Appointment>(`/api/appointments/${id}/cancel`, undefined, { query: scope }),
    onSuccess: invalidate,
  })
}
