import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import type { User } from '../../../lib/auth'
import { fakeApi, type Recorded, validationBody } from '../../../test/fake-api'
import { renderWithApp, staff, viewer } from '../../../test/render'
import { AgentSettings } from './AgentSettings'

const admin: User = { id: 4, email: 'owner@kesher.test', role: 'admin', business_id: 1, business_name: 'מספרת רותי' }

const HOURS = { sun: '09:00-17:00', mon: '09:00-17:00', tue: '09:00-17:00', wed: '09:00-17:00', thu: '09:00-17:00', fri: '08:00-13:00', sat: null }
const stored = {
  greeting: 'שלום, הגעתם למספרת רותי', agent_name: 'רותי', agent_instructions: 'לדבר בנימוס', hours: HOURS,
  transfer_number: '+972523456789', providers: { reply: 'openai' },
}
const saved = {
  business_id: 1,
  stored,
  settings: {
    ...stored, turn_limit: 10, recording_notice: true, recording_notice_text: 'לידיעתך, השיחה מוקלטת לצורך שיפור השירות.',
    transfer_timeout: 20, providers: { asr: 'local', reply: 'openai', tts: 'espeak' },
  },
}
const fresh = {
  business_id: 1,
  stored: {},
  settings: {
    greeting: null, hours: null, agent_name: null, agent_instructions: null, turn_limit: 10, recording_notice: true,
    recording_notice_text: 'לידיעתך, השיחה מוקלטת לצורך שיפור השירות.', transfer_number: null, transfer_timeout: 20,
    providers: { asr: 'local', reply: 'offline', tts: 'espeak' },
  },
}

const puts = (requests: Recorded[]) => requests.filter((r) => r.method === 'PUT')

describe('AgentSettings', () => {
  it('loads the business settings into the form, the transfer number in Israeli format', async () => {
    const { requests } = fakeApi({ 'GET /api/agent/settings': { body: saved } })
    renderWithApp(<AgentSettings scope={{ business_id: 1 }} canEdit />, { user: admin })
    expect(((await screen.findByLabelText('ברכת פתיחה')) as HTMLTextAreaElement).value).toBe('שלום, הגעתם למספרת רותי')
    expect((screen.getByLabelText('שם הסוכן') as HTMLInputElement).value).toBe('רותי')
    expect((screen.getByLabelText('הנחיות לסוכן') as HTMLTextAreaElement).value).toBe('לדבר בנימוס')
    expect((screen.getByLabelText('מספר תורות מרבי בשיחה') as HTMLInputElement).value).toBe('10')
    expect((screen.getByLabelText('מספר להעברה') as HTMLInputElement).value).toBe('052-345-6789')
    expect((screen.getByRole('switch', { name: /הודעה שהשיחה מוקלטת/ }) as HTMLInputElement).checked).toBe(true)
    expect((screen.getByRole('radio', { name: 'לפי ימים' }) as HTMLInputElement).checked).toBe(true)
    expect((screen.getByLabelText('שישי — משעה') as HTMLInputElement).value).toBe('08:00')
    expect((screen.getByLabelText('שבת — פתוח') as HTMLInputElement).checked).toBe(false)
    expect((screen.getByLabelText('ניסוח התשובה') as HTMLSelectElement).value).toBe('openai')
    expect(requests[0].query.get('business_id')).toBe('1')
  })

  it('saves only the keys the admin changed, and says so', async () => {
    const { requests } = fakeApi({
      'GET /api/agent/settings': { body: fresh },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'PUT /api/agent/settings': (r) => ({ body: { ...fresh, stored: r.body, settings: { ...fresh.settings, ...(r.body as object) } } }),
    })
    renderWithApp(<AgentSettings scope={{ business_id: 1 }} canEdit />, { user: admin })
    expect(await screen.findByText(/עוד לא נקבעה אף הגדרה/)).toBeTruthy()
    await userEvent.type(screen.getByLabelText('ברכת פתיחה'), 'שלום וברוכים הבאים')
    await userEvent.type(screen.getByLabelText('שם הסוכן'), 'נועה')
    const limit = screen.getByLabelText('מספר תורות מרבי בשיחה')
    await userEvent.clear(limit)
    await userEvent.type(limit, '4')
    await userEvent.click(screen.getByRole('switch', { name: /הודעה שהשיחה מוקלטת/ }))
    await userEvent.click(screen.getByRole('radio', { name: 'לפי ימים' }))
    await userEvent.click(screen.getByLabelText('שישי — פתוח'))
    await userEvent.selectOptions(screen.getByLabelText('הקראת התשובה'), 'google')
    await userEvent.click(screen.getByRole('button', { name: 'שמירה' }))
    expect(await screen.findByText('ההגדרות נשמרו.')).toBeTruthy()
    expect(puts(requests)).toHaveLength(1)
    expect(puts(requests)[0].body).toEqual({
      greeting: 'שלום וברוכים הבאים', agent_name: 'נועה', turn_limit: 4, recording_notice: false,
      hours: { sun: '09:00-17:00', mon: '09:00-17:00', tue: '09:00-17:00', wed: '09:00-17:00', thu: '09:00-17:00', fri: '09:00-17:00', sat: null },
      providers: { tts: 'google' },
    })
    expect(puts(requests)[0].query.get('business_id')).toBe('1')
    // The form now holds what the server answered: saving again sends nothing.
    expect((screen.getByLabelText('שם הסוכן') as HTMLInputElement).value).toBe('נועה')
    await userEvent.click(screen.getByRole('button', { name: 'שמירה' }))
    expect(await screen.findByText('אין שינויים לשמירה.')).toBeTruthy()
    expect(puts(requests)).toHaveLength(1)
  })

  it('asks for the caller\'s ID digits before money by default; the admin chooses what it guards', async () => {
    const { requests } = fakeApi({
      'GET /api/agent/settings': { body: fresh },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'PUT /api/agent/settings': (r) => ({ body: { ...fresh, stored: r.body, settings: { ...fresh.settings, ...(r.body as object) } } }),
    })
    renderWithApp(<AgentSettings scope={{ business_id: 1 }} canEdit />, { user: admin })
    const invoices = (await screen.findByRole('switch', { name: /אימות לפני מסירת חשבוניות/ })) as HTMLInputElement
    expect(invoices.checked).toBe(true)
    expect((screen.getByRole('switch', { name: /אימות לפני מסירת הסכמים/ }) as HTMLInputElement).checked).toBe(true)
    const tasks = screen.getByRole('switch', { name: /אימות לפני מסירת הזמנות ופניות/ }) as HTMLInputElement
    expect(tasks.checked).toBe(false)
    expect(screen.getByText(/ארבע הספרות האחרונות של תעודת הזהות/)).toBeTruthy()
    await userEvent.click(tasks)
    await userEvent.click(invoices)
    await userEvent.click(screen.getByRole('button', { name: 'שמירה' }))
    expect(await screen.findByText('ההגדרות נשמרו.')).toBeTruthy()
    expect(puts(requests)[0].body).toEqual({ caller_verification: { invoices: false, contracts: true, tasks: true } })
  })

  it('clearing a setting sends null, which puts it back to its default', async () => {
    const { requests } = fakeApi({
      'GET /api/agent/settings': { body: saved },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'PUT /api/agent/settings': { body: saved },
    })
    renderWithApp(<AgentSettings scope={{ business_id: 1 }} canEdit />, { user: admin })
    await userEvent.clear(await screen.findByLabelText('מספר להעברה'))
    await userEvent.selectOptions(screen.getByLabelText('ניסוח התשובה'), '')
    await userEvent.click(screen.getByRole('radio', { name: 'לא הוגדרו' }))
    await userEvent.click(screen.getByRole('button', { name: 'שמירה' }))
    await waitFor(() => expect(puts(requests)).toHaveLength(1))
    expect(puts(requests)[0].body).toEqual({ transfer_number: null, providers: null, hours: null })
  })

  it("shows the server's per-field messages in Hebrew beside each field", async () => {
    fakeApi({
      'GET /api/agent/settings': { body: saved },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'PUT /api/agent/settings': {
        status: 422,
        body: validationBody({
          'settings.turn_limit': ['a whole number from 1 to 50', 'whole_number_range', { min: 1, max: 50 }],
          'settings.transfer_number': ['invalid phone number', 'invalid_phone'],
          'settings.hours.sun': ['HH:MM-HH:MM or null', 'hours_span'],
          'settings.providers.tts': ['one of espeak, google, openai', 'one_of', { choices: ['espeak', 'google', 'openai'] }],
        }),
      },
    })
    renderWithApp(<AgentSettings scope={{ business_id: 1 }} canEdit />, { user: admin })
    const limit = await screen.findByLabelText('מספר תורות מרבי בשיחה')
    await userEvent.clear(limit)
    await userEvent.type(limit, '99')
    await userEvent.click(screen.getByRole('button', { name: 'שמירה' }))
    expect((await screen.findByRole('alert')).textContent).toContain('יש לתקן את השדות המסומנים.')
    expect(screen.getByText('מספר שלם מ-1 עד 50')).toBeTruthy()
    expect(screen.getByLabelText('מספר תורות מרבי בשיחה').getAttribute('aria-invalid')).toBe('true')
    expect(screen.getByText('מספר טלפון לא תקין')).toBeTruthy()
    const sunday = screen.getByRole('rowheader', { name: 'ראשון' }).closest('tr')!
    expect(within(sunday).getByText('שעות בתבנית 09:00-17:00')).toBeTruthy()
    expect(screen.getByLabelText('הקראת התשובה').getAttribute('aria-invalid')).toBe('true')
    expect(screen.queryByText('ההגדרות נשמרו.')).toBeNull()
  })

  it('shows staff and viewers the settings with no edit control', async () => {
    for (const user of [staff, viewer]) {
      fakeApi({ 'GET /api/agent/settings': { body: saved } })
      const { unmount } = renderWithApp(<AgentSettings scope={{ business_id: 1 }} canEdit={false} />, { user })
      expect(await screen.findByText('שלום, הגעתם למספרת רותי')).toBeTruthy()
      expect(screen.getByText('052-345-6789')).toBeTruthy()
      expect(screen.getByText('רק מנהל העסק יכול לשנות את ההגדרות האלה.')).toBeTruthy()
      expect(screen.queryAllByRole('button')).toHaveLength(0)
      expect(document.querySelectorAll('input, textarea, select')).toHaveLength(0)
      unmount()
    }
  })

  it('shows an error state when the settings cannot be loaded', async () => {
    fakeApi({ 'GET /api/agent/settings': { status: 500, body: { error: 'internal error', code: 'internal_error' } } })
    renderWithApp(<AgentSettings scope={{ business_id: 1 }} canEdit />, { user: admin })
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('משהו השתבש'))
    expect(screen.getByRole('button', { name: 'לנסות שוב' })).toBeTruthy()
  })
})
