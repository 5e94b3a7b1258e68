import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { ConversationState } from '../../../types/api'

/** Who answers this customer's WhatsApp now: the agent or a person. */
export function useConversationState(customerId: number | null, scope: { business_id?: number }) {
  return useQuery({
    queryKey: ['whatsapp', 'conversation', customerId, scope],
    queryFn: () => api.get<ConversationState>(`/api/whatsapp/conversations/${customerId}`, { query: scope }),
    enabled: customerId != null,
    retry: false,
  })
}

export function useSetHandler(customerId: number | null, scope: { business_id?: number }) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (handler: 'agent' | 'staff') =>
      api.put<ConversationState>(`/api/whatsapp/conversations/${customerId}`, { handler, ...scope }),
    onSuccess: (state) => {
      queryClient.setQueryData(['whatsapp', 'conversation', customerId, scope], state)
    },
  })
}
