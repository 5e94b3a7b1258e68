import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi, validationBody } from '../../../test/fake-api'
import { renderWithApp } from '../../../test/render'
import type { AutomationsOut, CampaignDetail } from '../../../types/api'
import { Automations } from './Automations'
import { Campaigns } from './Campaigns'

const admin = { id: 5, email: 'ruti@ruti.co.il', role: 'admin' as const, business_id: 1, business_name: 'מספרת רותי' }
const viewer = { ...admin, id: 6, role: 'viewer' as const }

function state(): AutomationsOut {
  return {
    business_id: 1,
    settings: {
      missed_call: { enabled: false, text: 'ראינו שהתקשרת' },
      away_message: { enabled: true, text: 'סגורים עכשיו' },
    },
    missed_call_template: { name: 'kesher_missed_call', exists: false, twilio_content_sid: false },
    recent: [{ id: 1, kind: 'away_message', status: 'queued', reason: null, customer_id: 3, call_id: null, message_id: 9,
      created_at: null }],
  }
}

describe('Automations', () => {
  it('switches an automation on and saves an edited text', async () => {
    const current = state()
    const puts: unknown[] = []
    fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'csrf-1' } },
      'GET /api/automations': () => ({ body: current }),
      'PUT /api/automations': (r) => {
        const body = r.body as { missed_call?: { enabled?: boolean; text?: string }; away_message?: { text?: string } }
        puts.push(body)
        if (body.away_message?.text === '') {
          return { status: 422, body: validationBody({ 'away_message.text': ['too short', 'too_short', { min: 1 }] }) }
        }
        Object.assign(current.settings.missed_call!, body.missed_call ?? {})
        Object.assign(current.settings.away_message!, body.away_message ?? {})
        return { body: current }
      },
    })
    renderWithApp(<Automations scope={{}} canEdit />, { user: admin })
    const card = (await screen.findByRole('heading', { name: 'שיחה שלא נענתה ← WhatsApp' })).closest('section')!
    expect(within(card).getByText('התבנית המאושרת תיווצר כשההודעה תופעל.')).toBeTruthy()
    await userEvent.click(within(card).getByRole('switch'))
    await waitFor(() => expect(puts).toContainEqual({ missed_call: { enabled: true } }))
    const text = within(card).getByLabelText('נוסח ההודעה')
    await userEvent.clear(text)
    await userEvent.type(text, 'פספסנו אותך')
    await userEvent.click(within(card).getByRole('button', { name: 'שמירה' }))
    await waitFor(() => expect(puts).toContainEqual({ missed_call: { text: 'פספסנו אותך' } }))
    expect(screen.getByText('מחוץ לשעות')).toBeTruthy()
  })

  it('is read-only for a viewer', async () => {
    fakeApi({ 'GET /api/automations': { body: state() } })
    renderWithApp(<Automations scope={{}} canEdit={false} />, { user: viewer })
    expect(await screen.findByText('רק מנהל העסק יכול לשנות אוטומציות.')).toBeTruthy()
    for (const s of screen.getAllByRole('switch')) expect((s as HTMLInputElement).disabled).toBe(true)
    expect(screen.queryByRole('button', { name: 'שמירה' })).toBeNull()
  })
})

describe('Campaigns', () => {
  it('previews the count, sends, and shows each recipient status', async () => {
    const campaigns: CampaignDetail[] = []
    const sent: unknown[] = []
    fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'csrf-1' } },
      'GET /api/whatsapp/templates': { body: { items: [{ id: 1, business_id: 1, name: 'promo', language: 'he',
        body: 'שלום! {{1}} השבוע', twilio_content_sid: null, meta_template_name: null, created_at: null, updated_at: null }] } },
      'POST /api/campaigns/preview': (r) => ({
        body: (r.body as { filters: { tag?: string } }).filters.tag === 'VIP' ? { count: 3, opted_out: 1 } : { count: 9, opted_out: 1 },
      }),
      'POST /api/campaigns': (r) => {
        sent.push(r.body)
        const made: CampaignDetail = {
          id: 4, business_id: 1, name: 'מבצע חורף', template_name: 'promo', variables: { 1: '20%' }, filters: { tag: 'VIP' },
          status: 'sent', created_at: null, finished_at: null,
          counts: { total: 2, pending: 0, skipped: 0, queued: 0, sending: 0, sent: 0, delivered: 1, read: 0, failed: 1 },
          recipients: [
            { id: 1, customer_id: 3, customer_name: 'דנה', status: 'delivered', reason: null, message_id: 7, error: null },
            { id: 2, customer_id: 4, customer_name: 'יוסי', status: 'failed', reason: null, message_id: 8, error: 'undeliverable' },
          ],
        }
        campaigns.push(made)
        return { status: 201, body: made }
      },
      'GET /api/campaigns': () => ({ body: campaigns }),
      'GET /api/campaigns/4': () => ({ body: campaigns[0] }),
    })
    renderWithApp(<Campaigns scope={{}} canEdit />, { user: admin })
    expect(await screen.findByText('עדיין לא נשלחו קמפיינים.')).toBeTruthy()
    await userEvent.type(screen.getByLabelText('שם הקמפיין'), 'מבצע חורף')
    await userEvent.selectOptions(await screen.findByLabelText('תבנית'), 'promo')
    await userEvent.type(screen.getByLabelText('ערך למשתנה {{1}}'), '20%')
    await userEvent.type(screen.getByLabelText('תגית'), 'VIP')
    const send = screen.getByRole('button', { name: 'שליחה' }) as HTMLButtonElement
    expect(send.disabled).toBe(true)  // no count seen yet
    await userEvent.click(screen.getByRole('button', { name: 'כמה לקוחות?' }))
    expect(await screen.findByText('3 לקוחות יקבלו את ההודעה (1 ביקשו להסיר ולא יקבלו)')).toBeTruthy()
    await userEvent.click(send)
    await waitFor(() => expect(sent).toEqual([{ name: 'מבצע חורף', template: 'promo', variables: { 1: '20%' }, filters: { tag: 'VIP' } }]))
    await userEvent.click(await screen.findByRole('button', { name: 'פירוט נמענים' }))
    const list = await screen.findByRole('list', { name: 'נמענים' })
    expect(within(list).getByText('נמסר')).toBeTruthy()
    expect(within(list).getByText('נכשל')).toBeTruthy()
  })
})
