import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { KnowledgeEntry } from '../../../types/api'

type Scope = { business_id?: number }
export interface EntryInput {
  title: string
  body: string
}

export const getEntries = (scope: Scope) => api.get<KnowledgeEntry[]>('/api/knowledge', { query: scope })

export function useEntries(scope: Scope) {
  return useQuery({ queryKey: ['knowledge', 'entries', scope], queryFn: () => getEntries(scope) })
}

export function useSaveEntry(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: ({ id, input }: { id?: number; input: EntryInput }) =>
      id === undefined
        ? api.post<KnowledgeEntry>('/api/knowledge', input, { query: scope })
        : api.put<KnowledgeEntry>(`/api/knowledge/${id}`, input, { query: scope }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['knowledge'] }),
  })
}

export function useDeleteEntry(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (id: number) => api.delete<{ ok: boolean }>(`/api/knowledge/${id}`, { query: scope }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['knowledge'] }),
  })
}
