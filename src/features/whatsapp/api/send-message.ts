import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'

export type SendInput =
  | { to: string; text: string }
  | { to: string; template: string; variables: Record<string, string> }

export function sendMessage(input: SendInput, scope: { business_id?: number }) {
  return api.post<{ ok: boolean; id: number }>('/api/whatsapp/send', { ...input, ...scope })
}

export function useSendMessage(scope: { business_id?: number }) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (input: SendInput) => sendMessage(input, scope),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['timeline'] })
      void queryClient.invalidateQueries({ queryKey: ['whatsapp'] })
      void queryClient.invalidateQueries({ queryKey: ['dashboard'] })
    },
  })
}
