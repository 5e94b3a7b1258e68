import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { AutomationSettingsUpdate, AutomationsOut } from '../../../types/api'

type Scope = { business_id?: number }

export const getAutomations = (scope: Scope) => api.get<AutomationsOut>('/api/automations', { query: scope })

export function useAutomations(scope: Scope) {
  return useQuery({ queryKey: ['automations', scope], queryFn: () => getAutomations(scope) })
}

export function useSaveAutomations(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (changes: AutomationSettingsUpdate) => api.put<AutomationsOut>('/api/automations', changes, { query: scope }),
    onSuccess: (data) => queryClient.setQueryData(['automations', scope], data),
  })
}
