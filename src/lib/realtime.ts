// Live updates: one Socket.IO connection per logged-in tab. The server puts it in the
// room of the user's business (or `platform`); every event marks the matching cached
// queries stale so the screen refetches what changed, without a reload.
import { useEffect, useState } from 'react'
import { useQueryClient, type QueryClient } from '@tanstack/react-query'

/** Which cached queries an event touches, by the event name's first word. */
export function queryKeysForEvent(event: string): string[][] {
  const kind = event.split(/[.:_/-]/)[0].toLowerCase()
  switch (kind) {
    case 'call':
    case 'calls':
      return [['calls'], ['timeline'], ['dashboard']]
    case 'whatsapp':
    case 'message':
      return [['whatsapp'], ['timeline'], ['dashboard']]
    case 'task':
    case 'invoice':
    case 'contract':
      return [['timeline'], ['dashboard']]
    case 'customer':
    case 'customers':
      return [['customers'], ['timeline']]
    case 'business':
      return [['businesses']]
    case 'appointment':
    case 'appointments':
      return [['appointments'], ['timeline'], ['dashboard']]
    default:
      // timeline.changed (an appointment booked, moved or cancelled, among others) lands here.
      return [['calls'], ['whatsapp'], ['timeline'], ['dashboard'], ['customers'], ['appointments']]
  }
}

export function applyEvent(queryClient: QueryClient, event: string) {
  for (const queryKey of queryKeysForEvent(event)) void queryClient.invalidateQueries({ queryKey })
}

export function useRealtime(enabled: boolean): boolean {
  const queryClient = useQueryClient()
  const [connected, setConnected] = useState(false)
  useEffect(() => {
    if (!enabled) return
    let closed = false
    let disconnect = () => {}
    // Loaded after login so the login page's JavaScript stays small.
    void import('socket.io-client').then(({ io }) => {
      if (closed) return
      const socket = io({ path: '/socket.io', withCredentials: true })
      socket.on('connect', () => setConnected(true))
      socket.on('disconnect', () => setConnected(false))
      socket.onAny((event: string) => applyEvent(queryClient, event))
      disconnect = () => socket.disconnect()
    })
    return () => {
      closed = true
      disconnect()
      setConnected(false)
    }
  }, [enabled, queryClient])
  return connected
}
