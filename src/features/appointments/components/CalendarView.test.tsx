import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeApi } from '../../../test/fake-api'
import { renderWithApp, staff as staffUser, viewer } from '../../../test/render'
import type { Appointment, Service, StaffCalendar } from '../../../types/api'
import { CalendarView } from './CalendarView'

// Thursday 10 December 2026, 09:30 in Israel (UTC+2).
const NOW = new Date('2026-12-10T07:30:00Z')
const haircut: Service = { id: 1, name: 'תספורת נשים', duration_minutes: 45, price_agorot: 18000, buffer_minutes: 15, active: true, staff_ids: [] }
const dana: StaffCalendar = { id: 1, name: 'דנה', user_id: null, hours: {}, breaks: [], days_off: [], active: true, ical_url: 'https://x/calendar/a.ics' }
const yossi: StaffCalendar = { ...dana, id: 2, name: 'יוסי', ical_url: 'https://x/calendar/b.ics' }
const booked: Appointment & { customer_name: string } = {
  id: 7, business_id: 1, customer_id: 3, service_id: 1, staff_id: 1, start: '2026-12-10T08:00:00+00:00',
  end: '2026-12-10T08:45:00+00:00', status: 'booked', source: 'phone', notes: null, created_at: null, updated_at: null,
  customer_name: 'מיכל לוי', confirmed_at: null, reminder_sent_at: null,
}
const slot = (hhmm: string, staffId = 1) => {
  const [h, m] = hhmm.split(':').map(Number)
  const start = new Date(Date.UTC(2026, 11, 10, h - 2, m))
  return { start: start.toISOString().replace('.000Z', '+00:00'), end: new Date(start.getTime() + 45 * 60000).toISOString(), staff_id: staffId }
}

function server(extra: Parameters<typeof fakeApi>[0] = {}) {
  return fakeApi({
    'GET /api/auth/csrf': { body: { csrf_token: 'csrf-1' } },
    'GET /api/services': { body: [haircut] },
    'GET /api/staff-calendars': { body: [dana, yossi] },
    'GET /api/appointments': { body: [booked] },
    'GET /api/crm/customers': { body: { page: 1, limit: 8, total: 1, items: [{ id: 3, name: 'מיכל לוי', phone: '+972521112233' }] } },
    'GET /api/availability': { body: [slot('10:00', 1), slot('10:00', 2), slot('10:15', 2)] },
    ...extra,
  })
}

describe('CalendarView', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('shows the week from Sunday with Hebrew day names, the appointment in Israel time, and the now line on today', async () => {
    const { requests } = server()
    renderWithApp(<CalendarView scope={{}} canWrite />, { user: staffUser })
    const card = await screen.findByTestId('appointment')
    expect(card.textContent).toContain('10:00–10:45')
    expect(card.textContent).toContain('מיכל לוי')
    expect(card.textContent).toContain('תספורת נשים · דנה')
    const heads = [...document.querySelectorAll('.cal-col-head')].map((h) => h.textContent)
    expect(heads).toEqual(['ראשון 6.12', 'שני 7.12', 'שלישי 8.12', 'רביעי 9.12', 'חמישי 10.12', 'שישי 11.12', 'שבת 12.12'])
    expect(screen.getByRole('img', { name: 'עכשיו 09:30' })).toBeTruthy()
    const list = requests.find((r) => r.path === '/api/appointments')!
    expect([list.query.get('from'), list.query.get('to')]).toEqual(['2026-12-06', '2026-12-12'])
  })

  it('filters by staff member and steps day by day in the day view', async () => {
    const user = userEvent.setup()
    const { requests } = server()
    renderWithApp(<CalendarView scope={{}} canWrite />, { user: staffUser })
    await screen.findByTestId('appointment')
    await user.selectOptions(screen.getByLabelText('איש צוות'), 'יוסי')
    await waitFor(() => expect(requests.some((r) => r.path === '/api/appointments' && r.query.get('staff_id') === '2')).toBe(true))
    await user.click(screen.getByRole('button', { name: 'יום' }))
    expect(screen.getByRole('heading', { name: 'יום חמישי, 10.12.2026' })).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'היום הבא' }))
    expect(screen.getByRole('heading', { name: 'יום שישי, 11.12.2026' })).toBeTruthy()
    await waitFor(() => expect(requests.some((r) => r.path === '/api/appointments' && r.query.get('from') === '2026-12-11')).toBe(true))
  })

  it('books a free time for a customer found by search', async () => {
    const user = userEvent.setup()
    const { requests } = server({
      'POST /api/appointments': (r) => ({ status: 201, body: { ...booked, id: 8, ...(r.body as object) } }),
    })
    renderWithApp(<CalendarView scope={{}} canWrite />, { user: staffUser })
    await screen.findByTestId('appointment')
    await user.click(screen.getByRole('button', { name: 'תור חדש' }))
    const dialog = screen.getByRole('dialog', { name: 'קביעת תור' })
    await user.type(within(dialog).getByLabelText('לקוח'), 'מיכל')
    await user.click(await within(dialog).findByRole('button', { name: /מיכל לוי/ }))
    await user.selectOptions(within(dialog).getByLabelText('שירות'), '1')
    // "whoever is free": one button per time.
    await within(dialog).findByRole('button', { name: '10:15' })
    expect(within(dialog).getAllByRole('button', { name: '10:00' })).toHaveLength(1)
    await user.click(within(dialog).getByRole('button', { name: '10:00' }))
    await user.click(within(dialog).getByRole('button', { name: 'קביעת התור' }))
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'קביעת תור' })).toBeNull())
    const post = requests.find((r) => r.method === 'POST' && r.path === '/api/appointments')!
    expect(post.body).toEqual({ customer_id: 3, service_id: 1, start: slot('10:00').start, staff_id: 1, source: 'web' })
    const availability = requests.find((r) => r.path === '/api/availability')!
    expect([availability.query.get('service_id'), availability.query.get('from'), availability.query.get('to')])
      .toEqual(['1', '2026-12-10', '2026-12-10'])
  })

  it('offers the next free slots as buttons when the time was taken meanwhile (409)', async () => {
    const user = userEvent.setup()
    let posts = 0
    const next = [slot('11:00', 2), slot('11:15', 1)]
    const { requests } = server({
      'POST /api/appointments': () => (++posts === 1
        ? { status: 409, body: { error: 'slot taken', code: 'slot_taken', next_slots: next } }
        : { status: 201, body: { ...booked, id: 9 } }),
    })
    renderWithApp(<CalendarView scope={{}} canWrite />, { user: staffUser })
    await screen.findByTestId('appointment')
    await user.click(screen.getByRole('button', { name: 'תור חדש' }))
    const dialog = screen.getByRole('dialog', { name: 'קביעת תור' })
    await user.type(within(dialog).getByLabelText('לקוח'), 'מיכל')
    await user.click(await within(dialog).findByRole('button', { name: /מיכל לוי/ }))
    await user.selectOptions(within(dialog).getByLabelText('שירות'), '1')
    await user.click(await within(dialog).findByRole('button', { name: '10:00' }))
    await user.click(within(dialog).getByRole('button', { name: 'קביעת התור' }))
    const alert = await within(dialog).findByRole('alert')
    expect(alert.textContent).toContain('מישהו תפס את השעה הזו בינתיים')
    const offered = within(alert).getAllByRole('button').map((b) => b.textContent)
    expect(offered).toEqual(['לקבוע ליום ה׳ 10.12 בשעה 11:00 אצל יוסי', 'לקבוע ליום ה׳ 10.12 בשעה 11:15 אצל דנה'])
    await user.click(within(alert).getByRole('button', { name: /11:00 אצל יוסי/ }))
    await waitFor(() => expect(posts).toBe(2))
    const second = requests.filter((r) => r.method === 'POST' && r.path === '/api/appointments')[1]
    expect(second.body).toMatchObject({ start: next[0].start, staff_id: 2 })
  })

  it('moves and cancels from the appointment’s details', async () => {
    const user = userEvent.setup()
    const { requests } = server({
      'GET /api/availability': { body: [slot('14:00', 1)] },
      'PUT /api/appointments/7': (r) => ({ body: { ...booked, ...(r.body as object) } }),
      'POST /api/appointments/7/cancel': { body: { ...booked, status: 'cancelled' } },
    })
    renderWithApp(<CalendarView scope={{}} canWrite />, { user: staffUser })
    await user.click(await screen.findByTestId('appointment'))
    let details = screen.getByRole('dialog', { name: 'פרטי התור' })
    expect(details.textContent).toContain('נקבע בטלפון')
    await user.click(within(details).getByRole('button', { name: 'הזזת התור' }))
    const move = screen.getByRole('dialog', { name: 'הזזת תור' })
    await user.click(await within(move).findByRole('button', { name: '14:00' }))
    await user.click(within(move).getByRole('button', { name: 'הזזת התור' }))
    await waitFor(() => expect(requests.some((r) => r.method === 'PUT')).toBe(true))
    expect(requests.find((r) => r.method === 'PUT')!.body).toEqual({ start: slot('14:00').start, staff_id: 1 })

    await user.click(await screen.findByTestId('appointment'))
    details = screen.getByRole('dialog', { name: 'פרטי התור' })
    await user.click(within(details).getByRole('button', { name: 'ביטול התור' }))
    const confirm = screen.getByRole('dialog', { name: 'ביטול התור' })
    expect(confirm.textContent).toContain('לבטל את התור של מיכל לוי')
    await user.click(within(confirm).getByRole('button', { name: 'ביטול התור' }))
    await waitFor(() => expect(requests.some((r) => r.path === '/api/appointments/7/cancel')).toBe(true))
  })

  it('offers a viewer no booking, moving or cancelling', async () => {
    const user = userEvent.setup()
    server()
    renderWithApp(<CalendarView scope={{}} canWrite={false} />, { user: viewer })
    await user.click(await screen.findByTestId('appointment'))
    const details = screen.getByRole('dialog', { name: 'פרטי התור' })
    expect(screen.queryByRole('button', { name: 'תור חדש' })).toBeNull()
    expect(within(details).queryByRole('button', { name: 'הזזת התור' })).toBeNull()
    expect(within(details).queryByRole('button', { name: 'ביטול התור' })).toBeNull()
  })
})
