import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { components } from '../../../types/api.generated'

// The shapes come from the server's settings model (server/schemas/settings.py) through the
// generated types: a key, day or provider the server adds shows up here (and tsc fails where
// a label for it is missing).
type Schemas = components['schemas']

export type Day = keyof Schemas['OpeningHours']
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const satisfies readonly Day[]
/** Free Hebrew text, or {"sun": "09:00-17:00", ..., "sat": null} (null or missing: closed). */
export type Hours = string | Schemas['OpeningHours']
export type ProviderKind = keyof Schemas['ProviderChoice']
export const PROVIDER_KINDS = ['asr', 'reply', 'tts'] as const satisfies readonly ProviderKind[]
/** A provider a business may choose for `kind`. */
export type ProviderChoice<K extends ProviderKind = ProviderKind> = NonNullable<Schemas['ProviderChoice'][K]>
/** Records the phone agent reads only after the caller's ID digits (caller ID can be forged). */
export type ProtectedKind = keyof Schemas['CallerVerification']
export const PROTECTED_KINDS = ['invoices', 'contracts', 'tasks'] as const satisfies readonly ProtectedKind[]

/** Each kind's choices, every one once: the object's keys must be exactly the server's union. */
const ASR = { local: 1, openai: 1 } satisfies Record<ProviderChoice<'asr'>, 1>
const REPLY = { offline: 1, openai: 1 } satisfies Record<ProviderChoice<'reply'>, 1>
const TTS = { espeak: 1, google: 1, openai: 1 } satisfies Record<ProviderChoice<'tts'>, 1>
export const PROVIDER_CHOICES: { [K in ProviderKind]: ProviderChoice<K>[] } = {
  asr: Object.keys(ASR) as ProviderChoice<'asr'>[],
  reply: Object.keys(REPLY) as ProviderChoice<'reply'>[],
  tts: Object.keys(TTS) as ProviderChoice<'tts'>[],
}

/** The values the agent uses, defaults filled in. */
export type AgentSettingsValues = Schemas['EffectiveAgentSettings']
/** `settings`: what the agent uses; `stored`: only what the business set. */
export type AgentSettings = Schemas['AgentSettings']

/** A partial update: only the keys that changed; null removes a setting (back to its default).
 *  Values are what the form holds (the server explains a wrong one), hence `unknown`. */
export type AgentSettingsUpdate = Partial<Record<keyof Schemas['AgentSettingsUpdate'], unknown>>

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
