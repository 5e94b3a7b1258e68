import { useQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { WhatsAppTemplate, WhatsAppWindow } from '../../../types/api'

export function useWindow(customerId: number | undefined) {
  return useQuery({
    queryKey: ['whatsapp', 'window', customerId],
    queryFn: () => api.get<WhatsAppWindow>('/api/whatsapp/window', { query: { customer_id: customerId } }),
    enabled: !!customerId,
    retry: false,
  })
}

export function useTemplates(scope: { business_id?: number }, enabled: boolean) {
  return useQuery({
    queryKey: ['whatsapp', 'templates', scope],
    queryFn: async () => {
      const data = await api.get<WhatsAppTemplate[] | { items: WhatsAppTemplate[] }>('/api/whatsapp/templates', { query: scope })
      return Array.isArray(data) ? data : data.items
    },
    enabled,
    retry: false,
  })
}

/** The placeholders of a template body: {{1}}, {{name}} → ['1', 'name'], in order, once each. */
export function templateVariables(body: string): string[] {
  return [...new Set([...body.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)].map((m) => m[1]))]
}
