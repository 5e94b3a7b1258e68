import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Campaign, CampaignDetail, CampaignFilter, CampaignPreview, WhatsAppTemplate } from '../../../types/api'

type Scope = { business_id?: number }
export interface CampaignInput {
  name: string
  template: string
  variables: Record<string, string>
  filters: CampaignFilter
}

export function useCampaigns(scope: Scope) {
  return useQuery({ queryKey: ['campaigns', scope], queryFn: () => api.get<Campaign[]>('/api/campaigns', { query: scope }) })
}

export function useCampaign(scope: Scope, id: number | null) {
  return useQuery({
    queryKey: ['campaigns', scope, id],
    queryFn: () => api.get<CampaignDetail>(`/api/campaigns/${id}`, { query: scope }),
    enabled: id !== null,
  })
}

export function useTemplates(scope: Scope) {
  return useQuery({
    queryKey: ['campaigns', 'templates', scope],
    queryFn: async () => (await api.get<{ items: WhatsAppTemplate[] }>('/api/whatsapp/templates', { query: scope })).items,
  })
}

export function usePreview(scope: Scope) {
  return useMutation({
    mutationFn: (filters: CampaignFilter) =>
      api.post<CampaignPreview>('/api/campaigns/preview', { ...scope, filters }),
  })
}

export function useSendCampaign(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (input: CampaignInput) => api.post<Campaign>('/api/campaigns', { ...scope, ...input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['campaigns'] }),
  })
}
