import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'

export type SendMediaInput = { to: string; file: File; caption?: string }

export function sendMedia(input: SendMediaInput, scope: { business_id?: number }) {
  const form = new FormData()
  form.append('to', input.to)
  form.append('file', input.file)
  if (input.caption) form.append('caption', input.caption)
  if (scope.business_id !== undefined) form.append('business_id', String(scope.business_id))
  return api.post<{ ok: boolean; id: number }>('/api/whatsapp/send-media', form)
}

export function useSendMedia(scope: { business_id?: number }) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (input: SendMediaInput) => sendMedia(input, scope),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['timeline'] })
      void queryClient.invalidateQueries({ queryKey: ['whatsapp'] })
    },
  })
}
