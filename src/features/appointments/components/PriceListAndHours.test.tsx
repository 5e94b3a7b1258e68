import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi, validationBody } from '../../../test/fake-api'
import { renderWithApp, viewer } from '../../../test/render'
import type { AppointmentOnTimeline, Service, StaffCalendar, TimelineItem } from '../../../types/api'
import { CustomerAppointments } from './CustomerAppointments'
import { ServicesAdmin } from './ServicesAdmin'
import { StaffHours } from './StaffHours'

const admin = { id: 5, email: 'ruti@ruti.co.il', role: 'admin' as const, business_id: 1, business_name: 'מספרת רותי' }
const straightening: Service = { id: 2, name: 'החלקה', duration_minutes: 120, price_agorot: 65050, buffer_minutes: 15, active: true, staff_ids: [1] }
const dana: StaffCalendar = {
  id: 1, name: 'דנה', user_id: null, active: true, ical_url: 'https://kesher.example/calendar/secret-dana.ics',
  hours: { 0: [['09:00', '18:00']], 5: [['09:00', '13:00']] }, breaks: [{ day: null, start: '13:00', end: '13:30' }],
  days_off: ['2026-12-24'],
}

describe('the price list', () => {
  it('shows prices in shekels and saves agorot', async () => {
    const user = userEvent.setup()
    const { requests } = fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'c' } },
      'GET /api/services': { body: [straightening] },
      'GET /api/staff-calendars': { body: [dana] },
      'POST /api/services': (r) => ({ status: 201, body: { ...straightening, id: 3, ...(r.body as object) } }),
    })
    renderWithApp(<ServicesAdmin scope={{}} canEdit />, { user: admin })
    const card = (await screen.findByText('החלקה')).closest('li')!
    expect(card.textContent).toContain('650.50')
    expect(card.textContent).toContain('₪')
    expect(card.textContent).toContain('שעתיים')
    expect(card.textContent).toContain('+15 דק׳ התארגנות')
    expect(card.textContent).toContain('דנה')

    await user.click(screen.getByRole('button', { name: 'שירות חדש' }))
    const dialog = screen.getByRole('dialog', { name: 'שירות חדש' })
    await user.type(within(dialog).getByLabelText('שם השירות'), 'תספורת גברים')
    await user.clear(within(dialog).getByLabelText('משך (דקות)'))
    await user.type(within(dialog).getByLabelText('משך (דקות)'), '30')
    await user.type(within(dialog).getByLabelText('מחיר (₪)'), 'abc')
    await user.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    expect(within(dialog).getByText('צריך להיות מספר')).toBeTruthy()
    expect(requests.some((r) => r.method === 'POST')).toBe(false)
    await user.clear(within(dialog).getByLabelText('מחיר (₪)'))
    await user.type(within(dialog).getByLabelText('מחיר (₪)'), '89.90')
    await user.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    await waitFor(() => expect(requests.some((r) => r.method === 'POST')).toBe(true))
    expect(requests.find((r) => r.method === 'POST')!.body).toEqual({
      name: 'תספורת גברים', duration_minutes: 30, price_agorot: 8990, buffer_minutes: 0, active: true, staff_ids: [],
    })
  })

  it('shows the server’s message beside the field', async () => {
    const user = userEvent.setup()
    fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'c' } },
      'GET /api/services': { body: [straightening] },
      'GET /api/staff-calendars': { body: [dana] },
      'PUT /api/services/2': { status: 422, body: validationBody({ duration_minutes: ['too small', 'min_value', { min: 5 }] }) },
    })
    renderWithApp(<ServicesAdmin scope={{}} canEdit />, { user: admin })
    await user.click(await screen.findByRole('button', { name: 'עריכה החלקה' }))
    const dialog = screen.getByRole('dialog', { name: 'עריכת שירות' })
    expect((within(dialog).getByLabelText('מחיר (₪)') as HTMLInputElement).value).toBe('650.50')
    await user.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    expect(await within(dialog).findByText('לפחות 5')).toBeTruthy()
  })

  it('is read only for a viewer', async () => {
    fakeApi({ 'GET /api/services': { body: [straightening] }, 'GET /api/staff-calendars': { body: [dana] } })
    renderWithApp(<ServicesAdmin scope={{}} canEdit={false} />, { user: viewer })
    expect(await screen.findByText('החלקה')).toBeTruthy()
    expect(screen.getByText('רק מנהל העסק יכול לשנות את המחירון.')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'שירות חדש' })).toBeNull()
    expect(screen.queryByRole('button', { name: /עריכה/ })).toBeNull()
  })
})

describe('staff hours', () => {
  it('edits weekly hours, breaks and days off and sends them whole', async () => {
    const user = userEvent.setup()
    const { requests } = fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'c' } },
      'GET /api/staff-calendars': { body: [dana] },
      'PUT /api/staff-calendars/1': (r) => ({ body: { ...dana, ...(r.body as object) } }),
    })
    renderWithApp(<StaffHours scope={{}} canEdit showFeed />, { user: admin })
    const form = await screen.findByRole('form', { name: 'דנה' })
    expect((within(form).getByLabelText('קישור ליומן (iCal)') as HTMLInputElement).value).toBe(dana.ical_url)
    await user.click(within(form).getByLabelText('שני עובד/ת'))
    await user.clear(within(form).getByLabelText('שני עד שעה'))
    await user.type(within(form).getByLabelText('שני עד שעה'), '16:00')
    await user.click(within(form).getByLabelText('שישי עובד/ת')) // Friday off
    await user.click(within(form).getByRole('button', { name: 'הסרת ההפסקה' }))
    await user.type(within(form).getByLabelText('הוספת יום חופש'), '2026-12-31')
    await user.click(within(form).getByRole('button', { name: 'הוספת יום חופש' }))
    await user.click(within(form).getByRole('button', { name: 'שמירה' }))
    await waitFor(() => expect(requests.some((r) => r.method === 'PUT')).toBe(true))
    expect(requests.find((r) => r.method === 'PUT')!.body).toEqual({
      name: 'דנה', hours: { 0: [['09:00', '18:00']], 1: [['09:00', '16:00']] }, breaks: [],
      days_off: ['2026-12-24', '2026-12-31'],
    })
    expect(await within(form).findByText('נשמר.')).toBeTruthy()
  })

  it('edits a split shift: a second shift on a day, then removes it', async () => {
    const user = userEvent.setup()
    const { requests } = fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'c' } },
      'GET /api/staff-calendars': { body: [dana] },
      'PUT /api/staff-calendars/1': (r) => ({ body: { ...dana, ...(r.body as object) } }),
    })
    renderWithApp(<StaffHours scope={{}} canEdit showFeed />, { user: admin })
    const form = await screen.findByRole('form', { name: 'דנה' })
    await user.clear(within(form).getByLabelText('ראשון עד שעה'))
    await user.type(within(form).getByLabelText('ראשון עד שעה'), '13:00')
    await user.click(within(form).getByRole('button', { name: 'הוספת משמרת (ראשון)' }))
    expect((within(form).getByLabelText('ראשון משמרת 2 משעה') as HTMLInputElement).value).toBe('14:00')
    await user.clear(within(form).getByLabelText('ראשון משמרת 2 משעה'))
    await user.type(within(form).getByLabelText('ראשון משמרת 2 משעה'), '16:00')
    await user.clear(within(form).getByLabelText('ראשון משמרת 2 עד שעה'))
    await user.type(within(form).getByLabelText('ראשון משמרת 2 עד שעה'), '20:00')
    await user.click(within(form).getByRole('button', { name: 'הוספת משמרת (שישי)' }))
    await user.click(within(form).getByRole('button', { name: 'הסרת המשמרת (שישי משמרת 2)' }))
    await user.click(within(form).getByRole('button', { name: 'שמירה' }))
    await waitFor(() => expect(requests.some((r) => r.method === 'PUT')).toBe(true))
    expect((requests.find((r) => r.method === 'PUT')!.body as { hours: unknown }).hours).toEqual({
      0: [['09:00', '13:00'], ['16:00', '20:00']], 5: [['09:00', '13:00']],
    })
  })

  it('shows a viewer the hours in words, without the secret feed', async () => {
    fakeApi({ 'GET /api/staff-calendars': { body: [dana] } })
    renderWithApp(<StaffHours scope={{}} canEdit={false} showFeed={false} />, { user: viewer })
    const card = await screen.findByRole('region', { name: 'דנה' })
    const rows = within(card).getAllByRole('row').map((r) => r.textContent)
    expect(rows[0]).toBe('ראשון09:00–18:00')
    expect(rows[1]).toBe('שנילא עובד/ת')
    expect(rows[5]).toBe('שישי09:00–13:00')
    expect(card.textContent).toContain('כל יום 13:00–13:30')
    expect(card.textContent).toContain('24.12.2026')
    expect(card.textContent).not.toContain('secret-dana')
    expect(screen.queryByRole('button', { name: 'שמירה' })).toBeNull()
  })
})

describe('appointments on the customer card', () => {
  const item = (data: Partial<AppointmentOnTimeline>): TimelineItem => ({
    type: 'appointment', at: data.start ?? null,
    data: {
      id: 1, business_id: 1, customer_id: 7, service_id: 2, staff_id: 1, start: null, end: null, status: 'booked',
      source: 'web', notes: null, created_at: null, updated_at: null, service_name: 'החלקה', staff_name: 'דנה',
      price_agorot: 65000, display: { price: '650 ₪' }, confirmed_at: null, reminder_sent_at: null, ...data,
    },
  })

  it('lists upcoming and past appointments with their status', async () => {
    const { requests } = fakeApi({
      'GET /api/customers/7/timeline': { body: [
        item({ id: 1, start: '2099-01-05T08:00:00+00:00', end: '2099-01-05T10:00:00+00:00', status: 'confirmed' }),
        item({ id: 2, start: '2020-03-01T08:00:00+00:00', end: '2020-03-01T10:00:00+00:00', status: 'no_show' }),
      ] },
    })
    renderWithApp(<CustomerAppointments customer={{ id: 7, name: 'מיכל' }} scope={{}} canWrite={false} />, { user: viewer })
    const upcoming = await screen.findByRole('list', { name: 'תורים קרובים' })
    expect(upcoming.textContent).toContain('החלקה')
    expect(upcoming.textContent).toContain('אושר')
    expect(upcoming.textContent).toContain('אצל דנה')
    expect(screen.getByRole('list', { name: 'תורים קודמים' }).textContent).toContain('לא הגיע/ה')
    expect(requests[0].query.get('types')).toBe('appointment')
    expect(screen.queryByRole('button', { name: 'תור חדש' })).toBeNull()
  })
})
