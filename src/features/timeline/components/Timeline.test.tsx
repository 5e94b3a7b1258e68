import { render, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { TimelineItem } from '../../../types/api'
import { TimelineList } from './Timeline'

const items: TimelineItem[] = [
  {
    type: 'whatsapp', at: '2026-11-24T10:00:00+00:00',
    data: {
      id: 1, business_id: 1, customer_id: 7, direction: 'outbound', status: 'read', provider: 'dev', from: null,
      to: '+972501234567', text: 'התור שלך מחר ב-10', template: null, error_code: null, error: null,
      flags: { dev_transport: true }, created_at: '2026-11-24T10:00:00+00:00',
    },
  },
  {
    type: 'call', at: '2026-11-23T08:00:00+00:00',
    data: {
      id: 3, call_sid: 'CA1', business_id: 1, customer_id: 7, from: '+972501234567', to: '+97235550000',
      direction: 'inbound', status: 'completed', duration_seconds: 75, recording_url: null, summary: 'שאלה על הזמנה',
      intent: 'order_status', started_at: '2026-11-23T08:00:00+00:00', ended_at: null,
      turns: [{ index: 0, status: 'ready', recording_url: null, transcript: 'מה הסטטוס של ההזמנה?', reply: 'ההזמנה נשלחה היום.', audio_url: '/media/a.wav' }],
    },
  },
  { type: 'task', at: null, data: { id: 4, title: 'לחזור ללקוחה', description: null, status: 'open', due_at: null } },
  {
    type: 'invoice', at: '2026-11-01T08:00:00+00:00',
    data: { id: 5, number: 12, status: 'issued', description: null, amount_agorot: 10000, vat_rate_bp: 1800, vat_agorot: 1800, total_agorot: 11800, allocation_number: null, issued_at: '2026-11-01T08:00:00+00:00' },
  },
]

describe('TimelineList', () => {
  it('draws each kind of event the way a person reads it', () => {
    render(<TimelineList items={items} />)
    const entries = screen.getAllByRole('listitem')
    expect(entries.map((li) => li.getAttribute('data-type'))).toEqual(['whatsapp', 'call', 'task', 'invoice'])

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
  })
})
