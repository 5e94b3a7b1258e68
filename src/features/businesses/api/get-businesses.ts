import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Business } from '../../../types/api'

export const businessesQueryKey = ['businesses'] as const

export async function getBusinesses(): Promise<Business[]> {
  const data = await api.get<Business[] | { items: Business[] }>('/api/businesses')
  return Array.isArray(data) ? data : data.items
}

export function useBusinesses(enabled = true) {
  return useQuery({ queryKey: businessesQueryKey, queryFn: getBusinesses, enabled })
}
