// The built SPA under the server's strict Content-Security-Policy (server/security_headers.py):
// the login page and every main screen load without a single CSP violation, and the page
// cannot be framed.
import { expect, test, type Page } from '@playwright/test'
import { ADMIN } from './global-setup'

const SCREENS = ['/', '/customers', '/calls', '/inbox', '/agent', '/agent/settings', '/admin/businesses', '/admin/users']

function recordViolations(page: Page): string[] {
  const violations: string[] = []
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => {
    if (/Content[- ]Security[- ]Policy/i.test(error.message)) violations.push(`${page.url()}: ${error.message}`)
  })
  return violations
}

test('the login page and the main screens run under the CSP without a violation', async ({ page }) => {
  // The browser's own report of each violation, besides the console line.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`Content-Security-Policy violation: ${event.violatedDirective} ${event.blockedURI}`)
    })
  })
  const violations = recordViolations(page)

  const response = await page.goto('/login')
  const csp = response?.headers()['content-security-policy'] ?? ''
  expect(csp).toContain("script-src 'self'")
  expect(csp).toContain("frame-ancestors 'none'")
  expect(response?.headers()['x-frame-options']).toBe('DENY')
  await page.waitForLoadState('networkidle')
  expect(violations).toEqual([])

  await page.getByLabel('אימייל').fill(ADMIN.email)
  await page.getByLabel('סיסמה').fill(ADMIN.password)
  await page.getByRole('button', { name: 'כניסה' }).click()
  await expect(page.getByRole('heading', { name: 'לוח בקרה' })).toBeVisible()
  // Socket.IO's websocket is allowed by connect-src.
  await expect(page.getByRole('img', { name: 'מחובר — עדכונים בזמן אמת' })).toBeVisible()

  for (const screen of SCREENS) {
    await page.goto(screen)
    await page.waitForLoadState('networkidle')
  }
  expect(violations).toEqual([])
})
