import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import { itemsOf, type WhatsAppMessage } from '../../../types/api'

export interface MessagesQuery {
  customer_id?: number
  business_id?: number
  limit?: number
}

export async function getMessages(query: MessagesQuery): Promise<WhatsAppMessage[]> {
  const data = await api.get<WhatsAppMessage[] | { items: WhatsAppMessage[] }>('/api/whatsapp/messages', { query: { ...query } })
  return itemsOf(data)
}

export function useMessages(query: MessagesQuery) {
  return useQuery({ queryKey: ['whatsapp', 'messages', query], queryFn: () => getMessages(query) })
}
