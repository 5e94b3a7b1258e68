// Appointments through a real browser: staff book from the calendar (a slot taken meanwhile
// offers the next free ones), see it on the customer's card and timeline, move it and cancel
// it; the calendar fits a 375 px phone as a list of cards. The test makes its own business,
// price list, staff calendar, customer and staff user through the API.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { ADMIN } from './global-setup'

const RUN = Date.now().toString().slice(-5)
const BUSINESS = `מספרת היומן ${RUN}`
const STAFF_USER = { email: `cal-staff-${RUN}@e2e.kesher.test`, password: 'e2e-staff-pass-1' }
const CUSTOMER = `נועה ברק ${RUN}`
const EVERY_DAY = Object.fromEntries(['0', '1', '2', '3', '4', '5', '6'].map((d) => [d, [['08:00', '20:00']]]))

/** Tomorrow in Israel, and an Israel wall-clock time on it as an ISO instant. */
function tomorrowInIsrael(): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jerusalem' }).format(new Date())
  const date = new Date(`${today}T12:00:00Z`)
  date.setUTCDate(date.getUTCDate() + 1)
  return date.toISOString().slice(0, 10)
}

function israelIso(day: string, hhmm: string): string {
  // Israel is UTC+2 in winter and UTC+3 in summer: ask Intl which one applies that day.
  const probe = new Date(`${day}T${hhmm}:00Z`)
  const name = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Jerusalem', timeZoneName: 'shortOffset' })
    .formatToParts(probe).find((p) => p.type === 'timeZoneName')!.value // "GMT+2"
  const hours = Number(name.replace('GMT', '')) || 0
  return `${day}T${hhmm}:00+0${hours}:00`
}

async function login(page: Page, who: { email: string; password: string }) {
  await page.goto('/login')
  await page.getByLabel('אימייל').fill(who.email)
  await page.getByLabel('סיסמה').fill(who.password)
  await page.getByRole('button', { name: 'כניסה' }).click()
  await expect(page.getByRole('heading', { name: 'לוח בקרה' })).toBeVisible()
}

async function call(request: APIRequestContext, method: 'post' | 'put', path: string, data: unknown) {
  const csrf = (await (await request.get('/api/auth/csrf')).json()).csrf_token as string
  const response = await request[method](path, { data, headers: { 'X-CSRF-Token': csrf } })
  expect(response.status(), `${method} ${path}: ${await response.text()}`).toBeLessThan(300)
  return response.json()
}

test('staff book from the calendar, see it on the timeline, move it and cancel it; the phone view fits', async ({ page }) => {
  const day = tomorrowInIsrael()

  // The platform admin sets up a salon open every day, its price list, one chair and a customer.
  await login(page, ADMIN)
  const business = await call(page.request, 'post', '/api/businesses', { name: BUSINESS })
  const scope = `?business_id=${business.id}`
  await call(page.request, 'put', `/api/calendar-policy${scope}`, { closed_on_holidays: false })
  const chair = await call(page.request, 'post', `/api/staff-calendars${scope}`, { name: 'רותם', hours: EVERY_DAY })
  const haircut = await call(page.request, 'post', `/api/services${scope}`,
    { name: 'תספורת', duration_minutes: 45, price_agorot: 18000, buffer_minutes: 0 })
  const customer = await call(page.request, 'post', '/api/crm/customers', { business_id: business.id, name: CUSTOMER, phone: `054${RUN}12` })
  await call(page.request, 'post', '/api/users', { ...STAFF_USER, role: 'staff', business_id: business.id, name: 'שירה' })
  await page.request.post('/api/auth/logout', { headers: { 'X-CSRF-Token': (await (await page.request.get('/api/auth/csrf')).json()).csrf_token } })

  // A staff member books from the calendar: customer by search, service, a free time.
  await login(page, STAFF_USER)
  await page.getByRole('link', { name: 'יומן תורים' }).click()
  await expect(page.getByRole('heading', { name: 'יומן תורים', level: 1 })).toBeVisible()
  await expect(page.getByRole('button', { name: 'שבוע', exact: true })).toHaveAttribute('aria-pressed', 'true')
  await page.getByRole('button', { name: 'תור חדש' }).click()
  let dialog = page.getByRole('dialog', { name: 'קביעת תור' })
  await dialog.getByLabel('לקוח').fill(CUSTOMER.split(' ')[0])
  await dialog.getByRole('button', { name: CUSTOMER }).click()
  await dialog.getByLabel('שירות').selectOption(String(haircut.id))
  await dialog.getByLabel('תאריך').fill(day)
  await dialog.getByRole('button', { name: '10:00', exact: true }).click()
  await dialog.getByRole('button', { name: 'קביעת התור' }).click()
  await expect(dialog).toBeHidden()
  const booked = page.getByTestId('appointment').filter({ hasText: CUSTOMER }).filter({ hasText: '10:00–10:45' })
  await expect(booked).toContainText('10:00–10:45')
  await page.screenshot({ path: 'test-artifacts/screens/30-calendar-week.png', fullPage: true })

  // Someone else takes 11:00 while the form is open: the answer offers the next free times.
  await page.getByRole('button', { name: 'תור חדש' }).click()
  dialog = page.getByRole('dialog', { name: 'קביעת תור' })
  await dialog.getByLabel('לקוח').fill(CUSTOMER.split(' ')[0])
  await dialog.getByRole('button', { name: CUSTOMER }).click()
  await dialog.getByLabel('שירות').selectOption(String(haircut.id))
  await dialog.getByLabel('איש צוות').selectOption(String(chair.id))
  await dialog.getByLabel('תאריך').fill(day)
  await dialog.getByRole('button', { name: '11:00', exact: true }).click()
  await call(page.request, 'post', '/api/appointments',
    { customer_id: customer.id, service_id: haircut.id, staff_id: chair.id, start: israelIso(day, '11:00') })
  await dialog.getByRole('button', { name: 'קביעת התור' }).click()
  await expect(dialog.getByRole('alert')).toContainText('מישהו תפס את השעה הזו בינתיים')
  const offered = dialog.getByRole('button', { name: /^לקבוע ל/ }).first()
  const offeredTime = /\d\d:\d\d/.exec((await offered.textContent()) ?? '')![0]
  await offered.click()
  await expect(dialog).toBeHidden()
  await expect(page.getByTestId('appointment').filter({ hasText: `${offeredTime}–` })).toBeVisible()

  // On the customer's card and timeline, in words.
  await booked.click()
  const details = page.getByRole('dialog', { name: 'פרטי התור' })
  await expect(details).toContainText('תספורת')
  await details.getByRole('link', { name: CUSTOMER }).click()
  await expect(page.getByRole('heading', { name: CUSTOMER, level: 1 })).toBeVisible()
  const upcoming = page.getByRole('list', { name: 'תורים קרובים' })
  await expect(upcoming.getByRole('listitem')).toHaveCount(3)
  await expect(upcoming.getByRole('listitem').first()).toContainText('תספורת')
  await expect(upcoming.getByRole('listitem').first()).toContainText('אצל רותם')
  const timeline = page.getByRole('list', { name: 'ציר זמן' })
  const line = timeline.locator('[data-type="appointment"]').filter({ hasText: '10:00–10:45' })
  await expect(line).toContainText('תור')
  await expect(line).toContainText('תספורת אצל רותם')
  await expect(line).toContainText('נקבע ביומן')
  await expect(line).toContainText('180')
  await page.screenshot({ path: 'test-artifacts/screens/31-customer-appointments.png', fullPage: true })

  // Move it to 14:00, then cancel it.
  await page.getByRole('link', { name: 'יומן תורים' }).click()
  await showTomorrow(page, day)
  await page.getByTestId('appointment').filter({ hasText: '10:00–10:45' }).click()
  await page.getByRole('dialog', { name: 'פרטי התור' }).getByRole('button', { name: 'הזזת התור' }).click()
  dialog = page.getByRole('dialog', { name: 'הזזת תור' })
  await dialog.getByRole('button', { name: '14:00', exact: true }).click()
  await dialog.getByRole('button', { name: 'הזזת התור' }).click()
  await expect(dialog).toBeHidden()
  const moved = page.getByTestId('appointment').filter({ hasText: '14:00–14:45' })
  await expect(moved).toBeVisible()
  await expect(page.getByTestId('appointment').filter({ hasText: '10:00–10:45' })).toHaveCount(0)

  await moved.click()
  await page.getByRole('dialog', { name: 'פרטי התור' }).getByRole('button', { name: 'ביטול התור' }).click()
  const confirm = page.getByRole('dialog', { name: 'ביטול התור' })
  await expect(confirm).toContainText(CUSTOMER)
  await confirm.getByRole('button', { name: 'ביטול התור' }).click()
  await expect(confirm).toBeHidden()
  await expect(page.getByTestId('appointment').filter({ hasText: '14:00–14:45' })).toHaveCount(0)
  const listed = await (await page.request.get(`/api/appointments?from=${day}&to=${day}&status=cancelled`)).json()
  expect(listed.map((a: { status: string }) => a.status)).toEqual(['cancelled'])

  // A phone: the day is a list of cards, nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 800 })
  await showTomorrow(page, day)
  await expect(page.getByTestId('appointment').filter({ hasText: `${offeredTime}–` })).toBeVisible()
  await expect(page.locator('.cal-grid')).toHaveCount(0)
  const outside = await page.evaluate(() => [...document.querySelectorAll('main *')]
    .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < -1 || r.right > document.documentElement.clientWidth + 1) })
    .map((e) => `${e.tagName.toLowerCase()}.${e.className}`))
  expect(outside).toEqual([])
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true)
  await page.screenshot({ path: 'test-artifacts/screens/32-calendar-375.png', fullPage: true })
})

/** Show tomorrow: it is in this week, or (on Shabbat) one step ahead; in the day view, one day ahead. */
async function showTomorrow(page: Page, day: string) {
  const today = page.getByRole('button', { name: 'היום', exact: true })
  if (await today.isEnabled()) await today.click()
  const dayMonth = new Intl.DateTimeFormat('he-IL', { timeZone: 'UTC', day: 'numeric', month: 'numeric' })
    .format(new Date(`${day}T12:00:00Z`))
  const heads = await page.locator('.cal-col-head').allTextContents()
  if (!heads.some((head) => head.endsWith(` ${dayMonth}`))) {
    await page.getByRole('button', { name: /^(היום הבא|השבוע הבא)$/ }).click()
  }
}

test('the business admin edits the price list and staff hours; a viewer only reads them', async ({ page }) => {
  const owner = { email: `cal-owner-${RUN}@e2e.kesher.test`, password: 'e2e-owner-pass-1' }
  const watcher = { email: `cal-viewer-${RUN}@e2e.kesher.test`, password: 'e2e-viewer-pass-1' }
  await login(page, ADMIN)
  const business = await call(page.request, 'post', '/api/businesses', { name: `${BUSINESS} ב` })
  await call(page.request, 'post', '/api/users', { ...owner, role: 'admin', business_id: business.id, name: 'רותי' })
  await call(page.request, 'post', '/api/users', { ...watcher, role: 'viewer', business_id: business.id })
  await page.request.post('/api/auth/logout', { headers: { 'X-CSRF-Token': (await (await page.request.get('/api/auth/csrf')).json()).csrf_token } })

  await login(page, owner)
  await page.getByRole('link', { name: 'שעות עבודה' }).click()
  await page.getByRole('button', { name: 'יומן חדש' }).click()
  await page.getByRole('dialog').getByLabel('שם (איש צוות, כיסא או חדר)').fill('כיסא 1')
  await page.getByRole('dialog').getByRole('button', { name: 'שמירה' }).click()
  const chair = page.getByRole('form', { name: 'כיסא 1' })
  await expect(chair.getByLabel('ראשון עד שעה')).toHaveValue('18:00') // the default week
  await chair.getByLabel('ראשון עד שעה').fill('16:00')
  await chair.getByLabel('שישי עובד/ת').uncheck()
  await chair.getByRole('button', { name: 'הוספת הפסקה' }).click()
  await chair.getByRole('button', { name: 'שמירה' }).click()
  await expect(chair.getByRole('status')).toHaveText('נשמר.')
  await expect(chair.getByLabel('קישור ליומן (iCal)')).toHaveValue(/\/calendar\/.+\.ics$/)
  const [saved] = await (await page.request.get('/api/staff-calendars')).json()
  expect(saved.hours['0']).toEqual([['09:00', '16:00']])
  expect(saved.hours['5']).toBeUndefined()
  expect(saved.breaks).toEqual([{ day: null, start: '13:00', end: '13:30' }])

  await page.getByRole('link', { name: 'מחירון' }).click()
  await page.getByRole('button', { name: 'שירות חדש' }).click()
  const form = page.getByRole('dialog', { name: 'שירות חדש' })
  await form.getByLabel('שם השירות').fill('צבע שורשים')
  await form.getByLabel('משך (דקות)').fill('90')
  await form.getByLabel('מחיר (₪)').fill('320.50')
  await form.getByRole('button', { name: 'שמירה' }).click()
  await expect(form).toBeHidden()
  await expect(page.getByRole('list', { name: 'מחירון' })).toContainText('320.50')
  await expect(page.getByRole('list', { name: 'מחירון' })).toContainText('90 דק׳')
  const [service] = await (await page.request.get('/api/services')).json()
  expect(service.price_agorot).toBe(32050)
  await page.screenshot({ path: 'test-artifacts/screens/33-services.png', fullPage: true })
  await page.setViewportSize({ width: 375, height: 800 })
  for (const [path, shown] of [['/services', page.getByText('צבע שורשים')], ['/staff-hours', page.getByRole('form', { name: 'כיסא 1' })]] as const) {
    await page.goto(path)
    await expect(shown).toBeVisible()
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true)
  }
  await page.screenshot({ path: 'test-artifacts/screens/34-staff-hours-375.png', fullPage: true })
  await page.setViewportSize({ width: 1280, height: 860 })
  await page.request.post('/api/auth/logout', { headers: { 'X-CSRF-Token': (await (await page.request.get('/api/auth/csrf')).json()).csrf_token } })

  await login(page, watcher)
  await page.getByRole('link', { name: 'מחירון' }).click()
  await expect(page.getByText('רק מנהל העסק יכול לשנות את המחירון.')).toBeVisible()
  await expect(page.getByText('צבע שורשים')).toBeVisible()
  await expect(page.getByRole('button', { name: 'שירות חדש' })).toHaveCount(0)
  await page.getByRole('link', { name: 'שעות עבודה' }).click()
  await expect(page.getByRole('region', { name: 'כיסא 1' })).toContainText('09:00–16:00')
  await expect(page.getByRole('button', { name: 'שמירה' })).toHaveCount(0)
  await expect(page.getByLabel('קישור ליומן (iCal)')).toHaveCount(0)
  await page.getByRole('link', { name: 'יומן תורים' }).click()
  await page.getByRole('button', { name: 'יום', exact: true }).click()
  await expect(page.getByRole('list', { name: 'כיסא 1' })).toBeVisible() // the day view: a column per staff member
  await expect(page.getByRole('button', { name: 'תור חדש' })).toHaveCount(0)
})
