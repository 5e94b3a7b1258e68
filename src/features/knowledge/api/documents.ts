import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { KnowledgeDocument, KnowledgeDocumentDetail } from '../../../types/api'

type Scope = { business_id?: number }

export const getDocuments = (scope: Scope) => api.get<KnowledgeDocument[]>('/api/knowledge/documents', { query: scope })

/** While a document is being read, the list asks again every few seconds. */
export function useDocuments(scope: Scope) {
  return useQuery({
    queryKey: ['knowledge', 'documents', scope],
    queryFn: () => getDocuments(scope),
    refetchInterval: (query) => (query.state.data?.some((d) => d.status === 'pending') ? 3000 : false),
  })
}

export function useDocument(scope: Scope, id: number | null) {
  return useQuery({
    queryKey: ['knowledge', 'document', id, scope],
    queryFn: () => api.get<KnowledgeDocumentDetail>(`/api/knowledge/documents/${id}`, { query: scope }),
    enabled: id !== null,
  })
}

export function useUploadDocument(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (file: File) => {
      const form = new FormData()
      form.append('file', file)
      return api.post<KnowledgeDocument>('/api/knowledge/documents', form, { query: scope })
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['knowledge'] }),
  })
}

export function useDeleteDocument(scope: Scope) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (id: number) => api.delete<{ ok: boolean }>(`/api/knowledge/documents/${id}`, { query: scope }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['knowledge'] }),
  })
}
