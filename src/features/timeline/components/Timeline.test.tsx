import { render, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { aCall, aContract, aMessage, aTask, aTurn, anInvoice } from '../../../test/fixtures'
import type { TimelineItem } from '../../../types/api'
import { TimelineList } from './Timeline'

const items: TimelineItem[] = [
  {
    type: 'whatsapp', at: '2026-11-24T10:00:00+00:00',
    data: aMessage({
      id: 1, business_id: 1, customer_id: 7, direction: 'outbound', status: 'read', provider: 'dev', from: null,
      to: '+972501234567', text: 'התור שלך מחר ב-10', template: null, error_code: null, error: null,
      flags: { dev_transport: true }, created_at: '2026-11-24T10:00:00+00:00',
    }),
  },
  {
    type: 'call', at: '2026-11-23T08:00:00+00:00',
    data: aCall({
      id: 3, call_sid: 'CA1', business_id: 1, customer_id: 7, from: '+972501234567', to: '+97235550000',
      direction: 'inbound', status: 'completed', duration_seconds: 75, recording: null, summary: 'שאלה על הזמנה',
      intent: 'order_status', started_at: '2026-11-23T08:00:00+00:00', ended_at: null,
      turns: [aTurn({ index: 0, status: 'ready', transcript: 'מה הסטטוס של ההזמנה?', reply: 'ההזמנה נשלחה היום.', audio_url: '/media/a.wav' })],
    }),
  },
  { type: 'task', at: null, data: aTask({ id: 4, title: 'לחזור ללקוחה', description: null, status: 'open', due_at: null }) },
  {
    type: 'invoice', at: '2026-11-01T08:00:00+00:00',
    data: anInvoice({ id: 5, number: 12, status: 'issued', description: null, amount_agorot: 10000, vat_rate_bp: 1800, vat_agorot: 1800, total_agorot: 11800, allocation_number: null, issued_at: '2026-11-01T08:00:00+00:00' }),
  },
  {
    type: 'contract', at: '2026-10-15T09:00:00+00:00',
    data: aContract({ id: 6, title: 'מנוי שנתי לתספורות', status: 'signed', amount_agorot: 120000, signed_at: '2026-10-15T09:00:00+00:00' }),
  },
]

const recordedCall: TimelineItem = {
  type: 'call', at: '2026-11-22T08:00:00+00:00',
  data: aCall({
    id: 9, call_sid: 'CA9', business_id: 1, customer_id: 7, from: '+972501234567', to: '+97235550000',
    direction: 'inbound', status: 'completed', duration_seconds: 42,
    recording: '/api/calls/9/recording',
    summary: 'ביטול תור', intent: null, started_at: '2026-11-22T08:00:00+00:00', ended_at: null, turns: [],
  }),
}

describe('TimelineList', () => {
  it('draws each kind of event the way a person reads it', () => {
    render(<TimelineList items={items} />)
    const entries = screen.getAllByRole('listitem')
    expect(entries.map((li) => li.getAttribute('data-type'))).toEqual(['whatsapp', 'call', 'task', 'invoice', 'contract'])

    const message = entries[0]
    expect(within(message).getByText('התור שלך מחר ב-10')).toBeTruthy()
    expect(within(message).getByLabelText('נקראה').getAttribute('data-status')).toBe('read')
    expect(within(message).getByText('מצב פיתוח: ההודעה לא נמסרה באמת')).toBeTruthy()

    const call = entries[1]
    expect(within(call).getByText('מה הסטטוס של ההזמנה?')).toBeTruthy()
    expect(within(call).getByText('ההזמנה נשלחה היום.')).toBeTruthy()
    expect(call.querySelector('audio')?.getAttribute('src')).toBe('/media/a.wav')
    expect(call.textContent).toContain('סטטוס הזמנה')  // the intent in Hebrew, not its key
    expect(call.textContent).not.toContain('order_status')
    expect(call.textContent).toContain('שאלה על הזמנה')

    expect(within(entries[2]).getByText('ללא תאריך')).toBeTruthy()
    expect(entries[3].textContent).toContain('חשבונית מס׳ 12')
    expect(entries[3].textContent).toContain('118.00')

    const contract = entries[4]
    expect(within(contract).getByText('מנוי שנתי לתספורות')).toBeTruthy()
    expect(contract.textContent).toContain('נחתם')  // the status in Hebrew, not its key
    expect(contract.textContent).not.toContain('signed')
    expect(contract.textContent).toContain('1,200.00')
    expect(within(contract).getByText('15.10.2026, 12:00', { exact: false })).toBeTruthy()
  })

  it("plays a call's recording through the API, never from the provider's URL", () => {
    const { container } = render(<TimelineList items={[recordedCall]} />)
    const player = screen.getByLabelText('הקלטה')
    expect(player.tagName).toBe('AUDIO')
    expect(player.getAttribute('src')).toBe('/api/calls/9/recording')
    expect(container.innerHTML).not.toContain('api.twilio.com')
  })

  it('offers no player for a call without a recording', () => {
    render(<TimelineList items={[items[1]]} />)
    expect(screen.queryByLabelText('הקלטה')).toBeNull()
  })
})
