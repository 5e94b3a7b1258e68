import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi, validationBody } from '../../../test/fake-api'
import { renderWithApp, staff } from '../../../test/render'
import { SendBox } from './SendBox'

const closedReal = { customer_id: 7, open: false, until: null, last_inbound_at: null, provider: 'twilio', enforced: true }
const openDev = { customer_id: 7, open: true, until: '2026-11-25T08:00:00+00:00', last_inbound_at: null, provider: 'dev', enforced: false }

describe('SendBox', () => {
  it('sends free text inside the window and says the dev transport delivers nothing', async () => {
    const { requests } = fakeApi({
      'GET /api/whatsapp/window': { body: openDev },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'POST /api/whatsapp/send': { body: { ok: true, id: 5 } },
    })
    renderWithApp(<SendBox to="+972501234567" customerId={7} scope={{}} />, { user: staff })
    expect(await screen.findByText('מצב פיתוח: ההודעות נשמרות אבל לא נמסרות ל-WhatsApp')).toBeTruthy()
    expect(screen.getByText('חלון השירות פתוח עד 25.11.2026, 10:00')).toBeTruthy()
    await userEvent.type(screen.getByLabelText('הודעת WhatsApp'), 'שלום דנה')
    await userEvent.click(screen.getByRole('button', { name: 'שליחה' }))
    await waitFor(() => expect(requests.some((r) => r.method === 'POST')).toBe(true))
    expect(requests.find((r) => r.method === 'POST')!.body).toEqual({ to: '+972501234567', text: 'שלום דנה' })
    await waitFor(() => expect((screen.getByLabelText('הודעת WhatsApp') as HTMLTextAreaElement).value).toBe(''))
  })

  it('offers only approved templates outside the window of a real transport', async () => {
    const { requests } = fakeApi({
      'GET /api/whatsapp/window': { body: closedReal },
      'GET /api/whatsapp/templates': { body: [{ id: 1, name: 'appointment_reminder', language: 'he', body: 'שלום {{1}}, התור שלך ב-{{2}}' }] },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'POST /api/whatsapp/send': { body: { ok: true, id: 6 } },
    })
    renderWithApp(<SendBox to="+972501234567" customerId={7} scope={{ business_id: 3 }} />, { user: staff })
    await screen.findByRole('option', { name: 'appointment_reminder' })
    await userEvent.selectOptions(screen.getByLabelText('תבנית'), 'appointment_reminder')
    expect(screen.queryByLabelText('הודעת WhatsApp')).toBeNull()
    await userEvent.type(screen.getByLabelText('{{1}}'), 'דנה')
    await userEvent.type(screen.getByLabelText('{{2}}'), '10:00')
    await userEvent.click(screen.getByRole('button', { name: 'שליחה' }))
    await waitFor(() => expect(requests.some((r) => r.method === 'POST')).toBe(true))
    expect(requests.find((r) => r.method === 'POST')!.body).toEqual({
      to: '+972501234567', template: 'appointment_reminder', variables: { 1: 'דנה', 2: '10:00' }, business_id: 3,
    })
  })

  it('explains the 409 outside the 24-hour window in Hebrew', async () => {
    fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'POST /api/whatsapp/send': { status: 409, body: { error: 'outside 24h window', code: 'outside_24h_window' } },
    })
    renderWithApp(<SendBox to="+972501234567" scope={{}} />, { user: staff })
    await userEvent.type(screen.getByLabelText('הודעת WhatsApp'), 'היי')
    await userEvent.click(screen.getByRole('button', { name: 'שליחה' }))
    expect((await screen.findByRole('alert')).textContent).toContain('אפשר לשלוח רק תבנית מאושרת')
  })
  it('sends a file from the paperclip, with the typed text as its caption', async () => {
    const { requests } = fakeApi({
      'GET /api/whatsapp/window': { body: openDev },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'POST /api/whatsapp/send-media': { body: { ok: true, id: 9 } },
    })
    renderWithApp(<SendBox to="+972501234567" customerId={7} scope={{}} />, { user: staff })
    await screen.findByText('מצב פיתוח: ההודעות נשמרות אבל לא נמסרות ל-WhatsApp')
    await userEvent.type(screen.getByLabelText('הודעת WhatsApp'), 'הקבלה')
    const file = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'receipt.png', { type: 'image/png' })
    await userEvent.upload(screen.getByLabelText('צירוף תמונה או מסמך'), file)
    await waitFor(() => expect(requests.some((r) => r.path === '/api/whatsapp/send-media')).toBe(true))
    const form = requests.find((r) => r.path === '/api/whatsapp/send-media')!.body as FormData
    expect(form.get('to')).toBe('+972501234567')
    expect(form.get('caption')).toBe('הקבלה')
    expect((form.get('file') as File).name).toBe('receipt.png')
  })

  it('shows WhatsApp\'s file limits in Hebrew when the server refuses a file', async () => {
    fakeApi({
      'GET /api/whatsapp/window': { body: openDev },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'POST /api/whatsapp/send-media': { status: 422, body: validationBody({
        file: ['WhatsApp accepts JPG/PNG images and PDF/Office documents', 'media_type_not_allowed', { allowed: ['pdf'] }] }) },
    })
    renderWithApp(<SendBox to="+972501234567" customerId={7} scope={{}} />, { user: staff })
    await screen.findByText('מצב פיתוח: ההודעות נשמרות אבל לא נמסרות ל-WhatsApp')
    await userEvent.upload(screen.getByLabelText('צירוף תמונה או מסמך'),
      new File(['x'], 'notes.pdf', { type: 'application/pdf' }))
    expect(await screen.findByRole('alert')).toHaveProperty('textContent',
      'בוואטסאפ אפשר לשלוח תמונות JPG/PNG (עד 5 מגה־בייט) ומסמכי PDF, \u200fWord, \u200fExcel או PowerPoint (עד 16 מגה־בייט)')
  })
})
