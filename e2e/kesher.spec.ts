// The whole product through a real browser: Debian's Chromium against the real server
// (global-setup.ts), a fresh database, no mocks.
import { expect, test, type Browser, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { ADMIN } from './global-setup'

test.describe.configure({ mode: 'serial' })

const SHOTS = 'test-artifacts/screens'
mkdirSync(SHOTS, { recursive: true })
const RUN = Date.now().toString().slice(-5)
const BUSINESS = `מספרת הדקל ${RUN}`
const STAFF = { email: `staff-${RUN}@e2e.kesher.test`, password: 'staff-pass-123' }
const VIEWER = { email: `viewer-${RUN}@e2e.kesher.test`, password: 'viewer-pass-123' }
const CUSTOMER = { name: 'ישראל ישראלי', phone: '050-765-4321' }
const MESSAGE = 'שלום ישראל, התור שלך נקבע למחר ב-10:00'
const VOICE_NUMBER = `03-555-${RUN.slice(-4)}`

// A step that needs an API not yet on main is skipped with the reason (and un-skipped the
// moment it lands); nothing here is faked.
const PENDING: Partial<Record<'admin' | 'staff' | 'viewer' | 'agent', string>> = {}

async function shot(page: Page, name: string) {
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true })
}

async function login(page: Page, who: { email: string; password: string }) {
  await page.goto('/login')
  await page.getByLabel('אימייל').fill(who.email)
  await page.getByLabel('סיסמה').fill(who.password)
  await page.getByRole('button', { name: 'כניסה' }).click()
  await expect(page.getByRole('heading', { name: 'לוח בקרה' })).toBeVisible()
}

async function newPage(browser: Browser) {
  const context = await browser.newContext()
  return context.newPage()
}

test('the page is Hebrew and right-to-left, and the login form says what went wrong', async ({ page }) => {
  await page.goto('/')
  await expect(page).toHaveURL(/\/login/)
  expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['he', 'rtl'])
  expect(await page.locator('body').evaluate((el) => getComputedStyle(el).direction)).toBe('rtl')
  await page.getByLabel('אימייל').fill(ADMIN.email)
  await page.getByLabel('סיסמה').fill('wrong-password')
  await page.getByRole('button', { name: 'כניסה' }).click()
  await expect(page.getByRole('alert')).toHaveText('אימייל או סיסמה שגויים')
  await shot(page, '01-login')
})

test('the admin dashboard shows today and the last two weeks, live', async ({ page }) => {
  await login(page, ADMIN)
  await expect(page.getByTestId('stat-calls')).toHaveText('0')
  await expect(page.getByRole('img', { name: /גרף שיחות והודעות/ })).toBeVisible()
  await expect(page.locator('g[data-day]')).toHaveCount(14)
  // The Socket.IO connection is up (the session joined the platform room).
  await expect(page.getByRole('img', { name: 'מחובר — עדכונים בזמן אמת' })).toBeVisible()
  // A deep link loads the app from any path (relative assets under <base href="/">).
  await page.goto('/customers?q=abc')
  await expect(page.getByRole('heading', { name: 'לקוחות' })).toBeVisible()
  await shot(page, '02-dashboard-admin')
})

test('admin creates a business and its staff and viewer users', async ({ page }) => {
  test.skip(!!PENDING.admin, PENDING.admin)
  await login(page, ADMIN)

  await page.getByRole('link', { name: 'עסקים' }).click()
  await page.getByRole('button', { name: 'עסק חדש' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByRole('button', { name: 'שמירה' }).click()
  await expect(dialog.getByRole('alert')).toHaveText('חובה למלא שם') // the seed's 400 "name required"
  await dialog.getByLabel('שם העסק').fill(BUSINESS)
  await dialog.getByLabel('דומיין').fill('hadekel.co.il')
  await dialog.getByLabel('מספר לשיחות').fill(VOICE_NUMBER)
  await dialog.getByRole('button', { name: 'שמירה' }).click()
  await expect(page.getByRole('cell', { name: BUSINESS })).toBeVisible()
  await shot(page, '03-businesses')

  await page.getByRole('link', { name: 'משתמשים' }).click()
  for (const [who, role] of [[STAFF, 'צוות'], [VIEWER, 'צפייה בלבד']] as const) {
    await page.getByRole('button', { name: 'משתמש חדש' }).click()
    const form = page.getByRole('dialog')
    await form.getByLabel('אימייל').fill(who.email)
    await form.getByLabel('סיסמה').fill(who.password)
    await form.getByLabel('תפקיד').selectOption({ label: role })
    await form.getByLabel('עסק').selectOption({ label: BUSINESS })
    await form.getByRole('button', { name: 'שמירה' }).click()
    await expect(page.getByRole('cell', { name: who.email })).toBeVisible()
  }
  await shot(page, '04-users')
})

test("admin sets the agent's greeting and name for the business, and they stay after a reload", async ({ page }) => {
  test.skip(!!PENDING.admin, PENDING.admin)
  await login(page, ADMIN)
  await page.getByRole('combobox', { name: 'עסק', exact: true }).selectOption({ label: BUSINESS })
  await page.getByRole('link', { name: 'הגדרות הסוכן' }).click()
  await expect(page.getByRole('heading', { name: 'הגדרות הסוכן' })).toBeVisible()
  await page.getByLabel('ברכת פתיחה').fill('שלום, הגעתם למספרת הדקל')
  await page.getByLabel('שם הסוכן').fill('דקלה')
  await page.getByLabel('מספר תורות מרבי בשיחה').fill('99')
  await page.getByRole('button', { name: 'שמירה' }).click()
  await expect(page.getByText('מספר שלם מ-1 עד 50')).toBeVisible() // the server's 422, beside its field
  await page.getByLabel('מספר תורות מרבי בשיחה').fill('8')
  await page.getByRole('button', { name: 'שמירה' }).click()
  await expect(page.getByText('ההגדרות נשמרו.')).toBeVisible()
  await page.reload()
  await expect(page.getByLabel('ברכת פתיחה')).toHaveValue('שלום, הגעתם למספרת הדקל')
  await expect(page.getByLabel('שם הסוכן')).toHaveValue('דקלה')
  await expect(page.getByLabel('מספר תורות מרבי בשיחה')).toHaveValue('8')
  await shot(page, '12-agent-settings')
})

test('staff creates a customer, finds it by typing 050..., and messages it on WhatsApp', async ({ browser }) => {
  test.skip(!!PENDING.staff || !!PENDING.admin, PENDING.staff ?? PENDING.admin)
  const page = await newPage(browser)
  await login(page, STAFF)
  await expect(page.getByText(BUSINESS)).toBeVisible()

  await page.getByRole('link', { name: 'לקוחות' }).click()
  await expect(page.getByText('אין עדיין לקוחות.')).toBeVisible()
  await page.getByRole('button', { name: 'לקוח חדש' }).click()
  const form = page.getByRole('dialog')
  await form.getByLabel('שם').fill(CUSTOMER.name)
  await form.getByLabel('טלפון').fill('12')
  await form.getByRole('button', { name: 'שמירה' }).click()
  await expect(form.locator('.field-invalid')).toHaveCount(1) // the server's message under the phone field
  await form.getByLabel('טלפון').fill(CUSTOMER.phone)
  await form.getByRole('button', { name: 'שמירה' }).click()
  await expect(page.getByRole('heading', { name: CUSTOMER.name })).toBeVisible()
  await expect(page.getByText('050-765-4321')).toBeVisible()

  await page.getByRole('link', { name: 'כל הלקוחות' }).click()
  const search = page.getByRole('searchbox', { name: 'חיפוש לקוחות' })
  await search.pressSequentially('050765', { delay: 40 })
  await expect(page.getByRole('link', { name: CUSTOMER.name })).toBeVisible()
  await search.fill('0509999')
  await expect(page.getByText('לא נמצאו לקוחות')).toBeVisible()
  await search.fill('')
  await search.pressSequentially('050-765', { delay: 40 })
  await expect(page.getByRole('link', { name: CUSTOMER.name })).toBeVisible()
  await shot(page, '05-customers')

  await page.getByRole('link', { name: CUSTOMER.name }).click()
  await page.getByLabel('הודעת WhatsApp').fill(MESSAGE)
  await page.getByRole('button', { name: 'שליחה' }).click()
  const timeline = page.getByRole('list', { name: 'ציר זמן' })
  await expect(timeline.getByText(MESSAGE)).toBeVisible()
  await expect(page.getByLabel('הודעת WhatsApp')).toHaveValue('')
  await shot(page, '06-customer')

  await page.getByRole('link', { name: 'WhatsApp' }).click()
  await expect(page.getByText(MESSAGE).first()).toBeVisible()
  await shot(page, '07-inbox')

  await page.getByRole('link', { name: 'שיחות' }).click()
  await expect(page.getByRole('heading', { name: 'יומן שיחות' })).toBeVisible()
  await expect(page.getByText('אין עדיין שיחות.')).toBeVisible()
  // Live: the customer calls the business (Twilio's webhook) and the open page shows the
  // call without a reload, through Socket.IO.
  const ring = await page.request.post('/webhook/incoming_call', {
    form: { CallSid: `CAe2e${RUN}`, From: '+972507654321', To: `+9723555${RUN.slice(-4)}`, CallStatus: 'ringing' },
  })
  expect(ring.status()).toBe(200)
  await expect(page.getByRole('link', { name: CUSTOMER.name })).toBeVisible()
  await shot(page, '08-calls')

  await page.getByRole('link', { name: 'לוח בקרה' }).click()
  await expect(page.getByTestId('stat-messages')).toHaveText('1')
  await shot(page, '09-dashboard-staff')
  await page.context().close()
})

test('staff tries the agent in Hebrew without a phone', async ({ browser }) => {
  test.skip(!!(PENDING.agent || PENDING.admin), PENDING.agent ?? PENDING.admin)
  const page = await newPage(browser)
  await login(page, STAFF)
  await page.getByRole('link', { name: 'לנסות את הסוכן' }).click()
  await page.getByLabel('מה הלקוח אומר').fill('מה שעות הפתיחה שלכם?')
  await page.getByLabel('מספר המתקשר').fill(CUSTOMER.phone)
  await page.getByRole('button', { name: 'שליחה לסוכן' }).click()
  const reply = page.getByTestId('agent-reply')
  await expect(reply).toBeVisible({ timeout: 45_000 })
  // A Hebrew answer (at least one Hebrew word after the label), not an error.
  await expect(reply).toHaveText(/תשובת הסוכן:\s*\S*[\u0590-\u05FF]{2,}/)
  await shot(page, '11-agent')
  await page.context().close()
})

test('a viewer finds no edit controls', async ({ browser }) => {
  test.skip(!!(PENDING.viewer || PENDING.staff || PENDING.admin), PENDING.viewer ?? PENDING.staff ?? PENDING.admin)
  const page = await newPage(browser)
  await login(page, VIEWER)
  await expect(page.getByRole('link', { name: 'לנסות את הסוכן' })).toHaveCount(0)
  await page.getByRole('link', { name: 'לקוחות' }).click()
  await expect(page.getByRole('link', { name: CUSTOMER.name })).toBeVisible()
  await expect(page.getByRole('button', { name: 'לקוח חדש' })).toHaveCount(0)
  await page.getByRole('link', { name: CUSTOMER.name }).click()
  await expect(page.getByRole('list', { name: 'ציר זמן' }).getByText(MESSAGE)).toBeVisible()
  await expect(page.getByRole('button', { name: 'עריכה' })).toHaveCount(0)
  await expect(page.getByRole('button', { name: 'מחיקה' })).toHaveCount(0)
  await expect(page.getByLabel('הודעת WhatsApp')).toHaveCount(0)
  await expect(page.locator('button, input, textarea, select').filter({ hasNotText: 'יציאה' })).toHaveCount(0)
  await shot(page, '10-customer-viewer')
  // The agent's settings: shown, not editable.
  await page.getByRole('link', { name: 'הגדרות הסוכן' }).click()
  await expect(page.getByText('דקלה')).toBeVisible()
  await expect(page.locator('main').locator('button, input, textarea, select')).toHaveCount(0)
  await page.context().close()
})
