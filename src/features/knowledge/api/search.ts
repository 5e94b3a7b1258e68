import { useMutation } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { KnowledgeHit } from '../../../types/api'

type Scope = { business_id?: number }

export const searchKnowledge = (scope: Scope, q: string) =>
  api.get<KnowledgeHit[]>('/api/knowledge/search', { query: { ...scope, q, limit: 3 } })

/** "Try a question": one search per press of the button, not per keystroke. */
export function useTryQuestion(scope: Scope) {
  return useMutation({ mutationFn: (q: string) => searchKnowledge(scope, q) })
}
