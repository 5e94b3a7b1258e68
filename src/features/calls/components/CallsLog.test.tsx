import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi } from '../../../test/fake-api'
import { renderWithApp, viewer } from '../../../test/render'
import { aCall, aTurn } from '../../../test/fixtures'
import { answeredFrom, CallsLog } from './CallsLog'

const call = aCall({
  id: 12, call_sid: 'CA12', business_id: 1, customer_id: 7, customer_name: 'דנה כהן', from: '+972501234567',
  to: '+97235550000', direction: 'inbound', status: 'completed', duration_seconds: 65,
  recording: '/api/calls/12/recording',
  summary: 'קביעת תור', intent: null, started_at: '2026-11-23T08:00:00+00:00', ended_at: null,
  turns: [aTurn({ index: 0, status: 'ready', transcript: 'אפשר לקבוע תור?', reply: 'בשמחה, לאיזה יום?', audio_url: '/media/t.mp3' })],
})

describe('CallsLog', () => {
  it("plays a call's recording through the API, not the provider's URL", async () => {
    fakeApi({ 'GET /api/calls': { body: { page: 1, limit: 25, total: 1, items: [call] } } })
    const { container } = renderWithApp(<CallsLog scope={{}} />, { user: viewer })
    await userEvent.click(await screen.findByRole('button', { name: 'תורות (1)' }))
    expect(screen.getByText('אפשר לקבוע תור?')).toBeTruthy()
    expect(screen.getByLabelText('הקלטה').getAttribute('src')).toBe('/api/calls/12/recording')
    expect(container.innerHTML).not.toContain('api.twilio.com')
  })
})

describe('answeredFrom', () => {
  it('names the knowledge entry the agent answered from, or nothing', () => {
    expect(answeredFrom([{ name: 'search_knowledge', arguments: { question: 'אפשר לבטל?' }, result: { source: { kind: 'entry', id: 3, title: 'מדיניות ביטולים' } } }])).toBe('מדיניות ביטולים')
    expect(answeredFrom([{ name: 'search_knowledge', result: { source: null } }])).toBeNull()
    expect(answeredFrom([{ name: 'get_invoices', result: [] }])).toBeNull()
    expect(answeredFrom(undefined)).toBeNull()
  })
})
