import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Call } from '../../../types/api'

export interface DayActivity {
  day: string
  calls: number
  messages: number
}

export interface Dashboard {
  time_zone: string
  today: { day: string; calls: number; messages: number; open_tasks: number; overdue_tasks: number }
  days: DayActivity[]
  recent_calls: Call[]
}

export function getDashboard(params: { business_id?: number; days?: number }) {
  return api.get<Dashboard>('/api/dashboard', { query: params })
}

export function useDashboard(params: { business_id?: number; days?: number }) {
  return useQuery({ queryKey: ['dashboard', params], queryFn: () => getDashboard(params) })
}
