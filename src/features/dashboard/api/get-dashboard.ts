import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Dashboard } from '../../../types/api'

export type DayActivity = Dashboard['days'][number]

export function getDashboard(params: { business_id?: number; days?: number }) {
  return api.get<Dashboard>('/api/dashboard', { query: params })
}

export function useDashboard(params: { business_id?: number; days?: number }) {
  return useQuery({ queryKey: ['dashboard', params], queryFn: () => getDashboard(params) })
}
