import { describe, expect, it } from 'vitest'
import { queryKeysForEvent } from './realtime'

describe('live events', () => {
  it('refresh the screens that show what changed', () => {
    expect(queryKeysForEvent('whatsapp.status')).toEqual([['whatsapp'], ['timeline'], ['dashboard']])
    expect(queryKeysForEvent('call:created')).toContainEqual(['calls'])
    expect(queryKeysForEvent('task_updated')).toEqual([['timeline'], ['dashboard']])
    expect(queryKeysForEvent('something-new')).toContainEqual(['customers'])
    // A booking, move or cancellation is published as timeline.changed: the calendar refetches too.
    expect(queryKeysForEvent('timeline.changed')).toContainEqual(['appointments'])
  })
})
