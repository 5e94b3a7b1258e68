import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { TimelineItem } from '../../../types/api'
import { TimelineList } from './Timeline'

const appointment = (over: Partial<Extract<TimelineItem, { type: 'appointment' }>['data']> = {}): TimelineItem => ({
  type: 'appointment', at: '2026-12-10T08:00:00+00:00',
  data: {
    id: 11, business_id: 1, customer_id: 7, service_id: 1, staff_id: 2, start: '2026-12-10T08:00:00+00:00',
    end: '2026-12-10T08:45:00+00:00', status: 'booked', source: 'whatsapp', notes: 'מעדיפה את דנה', created_at: null,
    updated_at: null, service_name: 'תספורת נשים', staff_name: 'דנה', price_agorot: 18000, display: { price: '180 ₪' },
    confirmed_at: null, reminder_sent_at: null,
    ...over,
  },
})

describe('an appointment on the timeline', () => {
  it('reads in words: service, staff, Israel time, status and how it was booked, price', () => {
    render(<TimelineList items={[appointment()]} />)
    const item = screen.getByRole('listitem')
    expect(item.getAttribute('data-type')).toBe('appointment')
    expect(item.textContent).toContain('תור')
    expect(item.textContent).toContain('תספורת נשים אצל דנה')
    expect(item.textContent).toContain('\u206610:00–10:45\u2069') // Israel time, kept left to right
    expect(item.textContent).toContain('נקבע ב-WhatsApp')
    expect(item.textContent).toContain('180 ₪')
    expect(item.textContent).toContain('מעדיפה את דנה')
  })

  it('says when it was cancelled or missed', () => {
    render(<TimelineList items={[appointment({ id: 12, status: 'cancelled' }), appointment({ id: 13, status: 'no_show' })]} />)
    const [cancelled, missed] = screen.getAllByRole('listitem')
    expect(cancelled.textContent).toContain('בוטל')
    expect(cancelled.textContent).not.toContain('WhatsApp')
    expect(missed.textContent).toContain('לא הגיע/ה')
  })
})
