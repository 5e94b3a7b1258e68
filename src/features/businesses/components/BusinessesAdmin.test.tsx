import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi, type Recorded, validationBody } from '../../../test/fake-api'
import { platformAdmin, renderWithApp } from '../../../test/render'
import { aBusiness } from '../../../test/fixtures'
import type { Business } from '../../../types/api'
import { BusinessesAdmin } from './BusinessesAdmin'

function business(id: number, name: string, fields: Partial<Business> = {}): Business {
  return aBusiness({ id, name, created_at: '2026-11-01T08:00:00+00:00', ...fields })
}

/** A server that keeps its businesses, so a change shows when the list is read again. */
function businessesServer(initial: Business[], overrides: Record<string, { status: number; body: unknown }> = {}) {
  const rows = initial.map((b) => ({ ...b }))
  const deleted = new Set<number>()
  const find = (r: Recorded) => rows.find((b) => b.id === Number(r.path.split('/')[3]))!
  const writes = () => api.requests.filter((r) => r.method !== 'GET')
  const api = fakeApi({
    'GET /api/auth/csrf': { body: { csrf_token: 'csrf-1' } },
    'GET /api/businesses': () => ({ body: rows.filter((b) => !deleted.has(b.id)) }),
    'POST /api/businesses': (r) => {
      const created = business(rows.length + 10, (r.body as Business).name, r.body as Partial<Business>)
      rows.push(created)
      return { status: 201, body: created }
    },
    ...Object.fromEntries(rows.flatMap((b) => [
      [`PUT /api/businesses/${b.id}`, (r: Recorded) => Object.assign(find(r), r.body) && { body: find(r) }],
      [`POST /api/businesses/${b.id}/deactivate`, (r: Recorded) => { find(r).active = false; return { body: find(r) } }],
      [`POST /api/businesses/${b.id}/reactivate`, (r: Recorded) => { find(r).active = true; return { body: find(r) } }],
      [`DELETE /api/businesses/${b.id}`, (r: Recorded) => { deleted.add(find(r).id); return { body: { ok: true } } }],
    ])),
    ...overrides,
  })
  return { ...api, writes }
}

const ruti = business(1, 'מספרת רותי', { domain: 'ruti.co.il', voice_number: '+97235551234' })
const avi = business(2, 'מוסך אבי', { active: false })

async function rowOf(name: string) {
  return (await screen.findByText(name)).closest('tr')!
}

describe('BusinessesAdmin', () => {
  it('adds a business and shows it in the list', async () => {
    const server = businessesServer([ruti])
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })
    await rowOf('מספרת רותי')

    await userEvent.click(screen.getByRole('button', { name: 'עסק חדש' }))
    const dialog = screen.getByRole('dialog', { name: 'עסק חדש' })
    await userEvent.type(within(dialog).getByLabelText('שם העסק'), 'פיצה שמש')
    await userEvent.type(within(dialog).getByLabelText('דומיין'), 'pizza-shemesh.co.il')
    await userEvent.type(within(dialog).getByLabelText('מספר לשיחות'), '03-555-0000')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))

    const row = await rowOf('פיצה שמש')
    expect(server.writes().map((r) => [r.method, r.path, r.body, r.headers['X-CSRF-Token']])).toEqual([
      ['POST', '/api/businesses', { name: 'פיצה שמש', domain: 'pizza-shemesh.co.il', voice_number: '03-555-0000', whatsapp_number: null }, 'csrf-1'],
    ])
    expect(within(row).getByText('pizza-shemesh.co.il')).toBeTruthy()
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('edits a business from a form filled with its details', async () => {
    const server = businessesServer([ruti])
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })
    await userEvent.click(within(await rowOf('מספרת רותי')).getByRole('button', { name: 'עריכה' }))

    const dialog = screen.getByRole('dialog', { name: 'עריכת עסק' })
    const name = within(dialog).getByLabelText('שם העסק') as HTMLInputElement
    expect(name.value).toBe('מספרת רותי')
    expect((within(dialog).getByLabelText('מספר לשיחות') as HTMLInputElement).value).toBe('03-555-1234')
    await userEvent.clear(name)
    await userEvent.type(name, 'מספרת רותי והבנות')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))

    await rowOf('מספרת רותי והבנות')
    expect(server.writes().map((r) => [r.method, r.path, (r.body as Business).name])).toEqual([
      ['PUT', '/api/businesses/1', 'מספרת רותי והבנות'],
    ])
  })

  it('deactivates only after confirmation; a cancelled confirmation sends nothing', async () => {
    const server = businessesServer([ruti])
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })
    await userEvent.click(within(await rowOf('מספרת רותי')).getByRole('button', { name: 'השבתה' }))

    let dialog = screen.getByRole('dialog', { name: 'השבתה' })
    expect(dialog.textContent).toContain('להשבית את "מספרת רותי"?')
    await userEvent.click(within(dialog).getByRole('button', { name: 'ביטול' }))
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(server.writes()).toEqual([])

    await userEvent.click(within(await rowOf('מספרת רותי')).getByRole('button', { name: 'השבתה' }))
    dialog = screen.getByRole('dialog', { name: 'השבתה' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'השבתה' }))

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(server.writes().map((r) => [r.method, r.path])).toEqual([['POST', '/api/businesses/1/deactivate']])
    const row = await rowOf('מספרת רותי')
    await waitFor(() => expect(within(row).getByText('מושבת')).toBeTruthy())
    expect(within(row).getByRole('button', { name: 'הפעלה מחדש' })).toBeTruthy()
  })

  it('reactivates a deactivated business', async () => {
    const server = businessesServer([ruti, avi])
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })
    const row = await rowOf('מוסך אבי')
    expect(within(row).getByText('מושבת')).toBeTruthy()

    await userEvent.click(within(row).getByRole('button', { name: 'הפעלה מחדש' }))

    await waitFor(() => expect(within(row).getByText('פעיל')).toBeTruthy())
    expect(server.writes().map((r) => [r.method, r.path])).toEqual([['POST', '/api/businesses/2/reactivate']])
  })

  it('deletes only after confirmation; a cancelled confirmation sends nothing', async () => {
    const server = businessesServer([ruti, avi])
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })
    await userEvent.click(within(await rowOf('מוסך אבי')).getByRole('button', { name: 'מחיקה' }))

    let dialog = screen.getByRole('dialog', { name: 'מחיקה' })
    expect(dialog.textContent).toContain('למחוק את "מוסך אבי"?')
    await userEvent.click(within(dialog).getByRole('button', { name: 'סגירה' }))
    expect(server.writes()).toEqual([])

    await userEvent.click(within(await rowOf('מוסך אבי')).getByRole('button', { name: 'מחיקה' }))
    dialog = screen.getByRole('dialog', { name: 'מחיקה' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'מחיקה' }))

    await waitFor(() => expect(screen.queryByText('מוסך אבי')).toBeNull())
    expect(server.writes().map((r) => [r.method, r.path])).toEqual([['DELETE', '/api/businesses/2']])
    expect(screen.getByText('מספרת רותי')).toBeTruthy()
  })
})

describe('BusinessesAdmin for a business admin', () => {
  const businessAdmin = { id: 4, email: 'owner@kesher.test', role: 'admin' as const, business_id: 1, business_name: 'מספרת רותי' }

  it('shows the numbers read-only with who assigns them, and never sends them', async () => {
    const server = businessesServer([ruti])
    renderWithApp(<BusinessesAdmin />, { user: businessAdmin })
    await userEvent.click(within(await rowOf('מספרת רותי')).getByRole('button', { name: 'עריכה' }))

    const dialog = screen.getByRole('dialog', { name: 'עריכת עסק' })
    const voice = within(dialog).getByLabelText('מספר לשיחות') as HTMLInputElement
    expect(voice.value).toBe('03-555-1234')
    expect(voice.readOnly).toBe(true)
    expect((within(dialog).getByLabelText('מספר WhatsApp') as HTMLInputElement).readOnly).toBe(true)
    expect(dialog.textContent).toContain('רק מנהל המערכת משייך מספרים לעסק')
    await userEvent.type(voice, '9')
    expect(voice.value).toBe('03-555-1234')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(server.writes().map((r) => [r.method, r.path, r.body])).toEqual([
      ['PUT', '/api/businesses/1', { name: 'מספרת רותי', domain: 'ruti.co.il' }],
    ])
  })

  it('shows the server refusal of a number change in Hebrew', async () => {
    businessesServer([ruti], {
      'PUT /api/businesses/1': { status: 403, body: { error: 'only the platform admin assigns the voice number', code: 'voice_number_admin_only' } },
    })
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })
    await userEvent.click(within(await rowOf('מספרת רותי')).getByRole('button', { name: 'עריכה' }))
    const dialog = screen.getByRole('dialog', { name: 'עריכת עסק' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    expect((await within(dialog).findByRole('alert')).textContent).toBe('רק מנהל המערכת יכול לשייך את המספר לשיחות')
  })
})

describe('BusinessesAdmin failures show the server message', () => {
  it('when adding: a taken name (409) and a field the form has no input for (422)', async () => {
    let answer = { status: 409, body: { error: 'name exists', code: 'name_exists' } as unknown }
    fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'csrf-1' } },
      'GET /api/businesses': { body: [ruti] },
      'POST /api/businesses': () => answer,
    })
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })
    await userEvent.click(await screen.findByRole('button', { name: 'עסק חדש' }))
    const dialog = screen.getByRole('dialog', { name: 'עסק חדש' })
    await userEvent.type(within(dialog).getByLabelText('שם העסק'), 'מספרת רותי')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    expect((await within(dialog).findByRole('alert')).textContent).toBe('כבר קיים עסק בשם הזה')

    answer = { status: 422, body: validationBody({
      voice_number: ['invalid phone number', 'invalid_phone'], settings: ['must be an object', 'not_object'],
    }) }
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    expect(await within(dialog).findByText('מספר טלפון לא תקין')).toBeTruthy()
    const alert = within(dialog).getByRole('alert')
    expect(alert.textContent).toContain('יש לתקן את השדות המסומנים.')
    expect(alert.textContent).toContain('ערך לא חוקי')  // "settings" has no input: its message is not lost
  })

  it('when editing: a number another business has (409)', async () => {
    businessesServer([ruti], { 'PUT /api/businesses/1': { status: 409, body: { error: 'voice number exists', code: 'voice_number_exists' } } })
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })
    await userEvent.click(within(await rowOf('מספרת רותי')).getByRole('button', { name: 'עריכה' }))
    const dialog = screen.getByRole('dialog', { name: 'עריכת עסק' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    expect((await within(dialog).findByRole('alert')).textContent).toBe('המספר לשיחות כבר שייך לעסק אחר')
  })

  it('when deactivating, reactivating and deleting', async () => {
    businessesServer([ruti, avi], {
      'POST /api/businesses/1/deactivate': { status: 404, body: { error: 'business not found', code: 'business_not_found' } },
      'POST /api/businesses/2/reactivate': { status: 403, body: { error: 'forbidden', code: 'forbidden' } },
      'DELETE /api/businesses/1': { status: 503, body: { error: 'service unavailable', code: 'service_unavailable' } },
    })
    renderWithApp(<BusinessesAdmin />, { user: platformAdmin })

    await userEvent.click(within(await rowOf('מספרת רותי')).getByRole('button', { name: 'השבתה' }))
    let dialog = screen.getByRole('dialog', { name: 'השבתה' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'השבתה' }))
    expect((await within(dialog).findByRole('alert')).textContent).toBe('העסק לא נמצא')
    await userEvent.click(within(dialog).getByRole('button', { name: 'ביטול' }))

    await userEvent.click(within(await rowOf('מוסך אבי')).getByRole('button', { name: 'הפעלה מחדש' }))
    expect((await screen.findByRole('alert')).textContent).toBe('אין לך הרשאה לפעולה הזו')

    await userEvent.click(within(await rowOf('מספרת רותי')).getByRole('button', { name: 'מחיקה' }))
    dialog = screen.getByRole('dialog', { name: 'מחיקה' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'מחיקה' }))
    expect((await within(dialog).findByRole('alert')).textContent).toBe('השירות לא זמין כרגע. נסו שוב בעוד רגע.')
  })
})
