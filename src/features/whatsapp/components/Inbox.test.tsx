import { describe, expect, it } from 'vitest'
import { aMessage } from '../../../test/fixtures'
import type { WhatsAppMessage } from '../../../types/api'
import { groupConversations } from './Inbox'

const msg = (id: number, over: Partial<WhatsAppMessage>): WhatsAppMessage => aMessage({
  id, business_id: 1, customer_id: null, direction: 'inbound', status: 'delivered', provider: 'dev',
  from: '+972501234567', to: '+97235550101', text: `הודעה ${id}`, template: null, error_code: null, error: null,
  flags: {}, created_at: `2026-11-24T10:0${id}:00+00:00`, ...over,
})

describe('groupConversations', () => {
  it('groups by customer (or number), newest conversation first, messages oldest first', () => {
    const conversations = groupConversations([
      msg(4, { customer_id: 7, direction: 'outbound', from: '+97235550101', to: '+972501234567' }),
      msg(3, { customer_id: null, from: '+972529999999' }),
      msg(1, { customer_id: 7 }),
    ])
    expect(conversations.map((c) => c.key)).toEqual(['c7', 'p+972529999999'])
    expect(conversations[0].messages.map((m) => m.id)).toEqual([1, 4])
    expect(conversations[0].phone).toBe('+972501234567')
    expect(conversations[1].name).toBe('052-999-9999')
  })
})
