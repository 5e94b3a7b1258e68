import { useMutation } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { AgentTurn } from '../../../types/api'

export type AgentInput = { text: string; from?: string } | { audio: Blob; from?: string }

/** One turn through the phone pipeline: text (JSON) or a recording (multipart). */
export function tryAgent(input: AgentInput, scope: { business_id?: number }) {
  if ('audio' in input) {
    const form = new FormData()
    form.append('audio', input.audio, 'recording.webm')
    if (input.from) form.append('from', input.from)
    return api.post<AgentTurn>('/api/agent/try', form, { query: scope })
  }
  return api.post<AgentTurn>('/api/agent/try', input, { query: scope })
}

export function useTryAgent(scope: { business_id?: number }) {
  return useMutation({ mutationFn: (input: AgentInput) => tryAgent(input, scope) })
}
