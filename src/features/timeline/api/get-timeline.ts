import { useInfiniteQuery } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { TimelineItem } from '../../../types/api'

export const TIMELINE_PAGE = 50

export interface TimelinePage {
  items: TimelineItem[]
  next: string | null
}

/** One page, newest first; the server sends the next page's cursor in X-Next-Cursor. */
export async function getTimelinePage(customerId: number, params: { business_id?: number }, before: string | null): Promise<TimelinePage> {
  const { data, headers } = await api.getWithHeaders<TimelineItem[]>(`/api/customers/${customerId}/timeline`, {
    query: { ...params, limit: TIMELINE_PAGE, before: before ?? undefined },
  })
  return { items: data, next: headers.get('X-Next-Cursor') }
}

export function useTimeline(customerId: number, params: { business_id?: number }) {
  return useInfiniteQuery({
    queryKey: ['timeline', customerId, params],
    queryFn: ({ pageParam }) => getTimelinePage(customerId, params, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next,
  })
}
