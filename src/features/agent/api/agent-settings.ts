import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type Day = (typeof DAYS)[number]
/** Free Hebrew text, or {"sun": "09:00-17:00", ..., "sat": null} (null or missing: closed). */
export type Hours = string | Partial<Record<Day, string | null>>
export const PROVIDER_KINDS = ['asr', 'reply', 'tts'] as const
export type ProviderKind = (typeof PROVIDER_KINDS)[number]
/** Records the phone agent reads only after the caller's ID digits (caller ID can be forged). */
export const PROTECTED_KINDS = ['invoices', 'contracts', 'tasks'] as const
export type ProtectedKind = (typeof PROTECTED_KINDS)[number]
/** What a business may choose (server/services/businesses.py VOICE_PROVIDERS). */
export const PROVIDER_CHOICES: Record<ProviderKind, string[]> = {
  asr: ['local', 'openai'],
  reply: ['offline', 'openai'],
  tts: ['espeak', 'google', 'openai'],
}

export interface AgentSettingsValues {
  greeting: string | null
  hours: Hours | null
  agent_name: string | null
  agent_instructions: string | null
  turn_limit: number
  /** A flag, or (set through the businesses API) the notice's own text. */
  recording_notice: boolean | string
  recording_notice_text: string
  transfer_number: string | null
  transfer_timeout: number
  providers: Record<ProviderKind, string>
  /** What the agent guards with the caller's ID digits (the server fills in its defaults). */
  caller_verification?: Record<ProtectedKind, boolean>
}

export interface AgentSettings {
  business_id: number
  /** The values the agent uses, defaults filled in. */
  settings: AgentSettingsValues
  /** Only what the business set. */
  stored: Partial<Omit<AgentSettingsValues, 'providers'> & { providers: Partial<Record<ProviderKind, string>> }>
}

/** A partial update: only the keys that changed; null removes a setting (back to its default). */
export type AgentSettingsUpdate = Partial<Record<keyof AgentSettingsValues, unknown>>

type Scope = { business_id?: number }

export const agentSettingsKey = (scope: Scope) => ['agent-settings', scope] as const

export const getAgentSettings = (scope: Scope) => api.get<AgentSettings>('/api/agent/settings', { query: scope })

export function useAgentSettings(scope: Scope) {
  return useQuery({ queryKey: agentSettingsKey(scope), queryFn: () => getAgentSettings(scope) })
}

export const putAgentSettings = (update: AgentSettingsUpdate, scope: Scope) =>
  api.put<AgentSettings>('/api/agent/settings', update, { query: scope })

export function useSaveAgentSettings(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (update: AgentSettingsUpdate) => putAgentSettings(update, scope),
    onSuccess: (data) => queryClient.setQueryData(agentSettingsKey(scope), data),
  })
}
