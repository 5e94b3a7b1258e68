// The knowledge base through a real browser: the platform admin adds an entry for a business
// and finds it by a question phrased differently; the screen fits a 375 px phone.
import { expect, test } from '@playwright/test'
import { ADMIN } from './global-setup'

const RUN = Date.now().toString().slice(-5)
const BUSINESS = `סלון הידע ${RUN}`

test('admin adds a knowledge entry and a question finds it', async ({ page }) => {
  await page.goto('/login')
  await page.getByLabel('אימייל').fill(ADMIN.email)
  await page.getByLabel('סיסמה').fill(ADMIN.password)
  await page.getByRole('button', { name: 'כניסה' }).click()
  await expect(page.getByRole('heading', { name: 'לוח בקרה' })).toBeVisible()

  const csrf = (await (await page.request.get('/api/auth/csrf')).json()).csrf_token as string
  const made = await page.request.post('/api/businesses', { data: { name: BUSINESS }, headers: { 'X-CSRF-Token': csrf } })
  expect(made.status()).toBe(201)
  await page.reload()
  await page.getByRole('combobox', { name: 'עסק', exact: true }).selectOption({ label: BUSINESS })

  await page.getByRole('link', { name: 'מאגר ידע' }).click()
  await expect(page.getByRole('heading', { name: 'מאגר ידע', level: 1 })).toBeVisible()
  await expect(page.getByText('עדיין אין תשובות במאגר.')).toBeVisible()
  await page.getByRole('button', { name: 'תשובה חדשה' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('נושא או שאלה').fill('מדיניות ביטולים')
  await dialog.getByLabel('התשובה').fill('ביטול תור אפשרי ללא חיוב עד 24 שעות לפני מועדו.')
  await dialog.getByRole('button', { name: 'שמירה' }).click()
  await expect(page.getByText('ביטול תור אפשרי ללא חיוב עד 24 שעות לפני מועדו.')).toBeVisible()
  // The list refreshes before the dialog closes; while it is open the page behind it is inert
  // and typing would go to the dialog.
  await expect(dialog).toBeHidden()

  await page.getByRole('textbox', { name: 'שאלה', exact: true }).fill('ואם אני מבטלת את התור יום לפני, יש חיוב?')
  await page.getByRole('button', { name: 'חיפוש תשובה' }).click()
  const found = page.getByRole('status')
  await expect(found.getByText('ענה מתוך: מדיניות ביטולים')).toBeVisible()

  await page.setViewportSize({ width: 375, height: 800 })
  // The knowledge screen itself fits (the platform admin's top bar, with its business picker, is the shell's own).
  const outside = await page.evaluate(() => [...document.querySelectorAll('main *')]
    .filter((e) => { const r = e.getBoundingClientRect(); return r.left < -1 || r.right > document.documentElement.clientWidth + 1 })
    .map((e) => `${e.tagName.toLowerCase()}.${e.className}`))
  expect(outside).toEqual([])
  await page.screenshot({ path: 'test-artifacts/screens/20-knowledge-375.png', fullPage: true })
})
