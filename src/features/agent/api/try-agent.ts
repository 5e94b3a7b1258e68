import { useMutation } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'

export interface AgentTurn {
  transcript?: string | null
  reply: string
  audio_url?: string | null
  latencies?: Record<string, number>
  timings?: Record<string, number>
  providers?: Record<string, string | null>
  fallbacks?: { stage?: string; reason?: string }[]
}

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
