import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { AppointmentOnTimeline, TimelineItem } from '../../../types/api'

type Scope = { business_id?: number }

/** All of a customer's appointments, any date, from the timeline (which names service and staff). */
export async function getCustomerAppointments(customerId: number, scope: Scope): Promise<AppointmentOnTimeline[]> {
  const items = await api.get<TimelineItem[]>(`/api/customers/${customerId}/timeline`, {
    query: { types: 'appointment', limit: 200, ...scope },
  })
  return items.flatMap((item) => (item.type === 'appointment' ? [item.data] : []))
}

export function useCustomerAppointments(customerId: number, scope: Scope) {
  return useQuery({
    queryKey: ['timeline', customerId, 'appointments', scope],
    queryFn: () => getCustomerAppointments(customerId, scope),
  })
}
