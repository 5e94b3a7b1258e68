import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi, validationBody } from '../../../test/fake-api'
import { platformAdmin, renderWithApp, staff, viewer } from '../../../test/render'
import type { Customer } from '../../../types/api'
import { CustomerCard } from './CustomerCard'

const dana: Customer = {
  id: 7, business_id: 1, name: 'דנה כהן', phone: '+972501234567', email: 'dana@example.co.il', notes: 'מעדיפה וואטסאפ',
  source: 'manual', created_at: '2026-11-20T10:00:00+00:00', updated_at: null,
} as Customer

function customerServer(extra: Parameters<typeof fakeApi>[0] = {}) {
  const row = { ...dana }
  const api = fakeApi({
    'GET /api/auth/csrf': { body: { csrf_token: 'csrf-1' } },
    'GET /api/crm/customers/7': () => ({ body: row }),
    'PUT /api/crm/customers/7': (r) => ({ body: Object.assign(row, r.body) }),
    'DELETE /api/crm/customers/7': { body: { ok: true } },
    ...extra,
  })
  return { ...api, writes: () => api.requests.filter((r) => r.method !== 'GET') }
}

function renderCard(user = staff, scope: { business_id?: number } = {}) {
  return renderWithApp(
    <CustomerCard customerId={7} scope={scope} canWrite={user.role !== 'viewer'}>
      {(customer) => <p>ציר הזמן של {customer.name}</p>}
    </CustomerCard>,
    { user, path: '/customers/7' },
  )
}

describe('CustomerCard', () => {
  it("shows the customer's details in Israeli formats", async () => {
    customerServer()
    renderCard()
    expect(await screen.findByRole('heading', { name: 'דנה כהן' })).toBeTruthy()
    expect(screen.getByText('050-123-4567')).toBeTruthy()
    expect(screen.getByText('מעדיפה וואטסאפ')).toBeTruthy()
    expect(screen.getByText('ציר הזמן של דנה כהן')).toBeTruthy()
  })

  it('edits the customer and shows the saved details', async () => {
    const server = customerServer()
    renderCard()
    await userEvent.click(await screen.findByRole('button', { name: 'עריכה' }))
    const dialog = screen.getByRole('dialog', { name: 'עריכת לקוח' })
    const name = within(dialog).getByLabelText('שם') as HTMLInputElement
    const phone = within(dialog).getByLabelText('טלפון') as HTMLInputElement
    expect([name.value, phone.value]).toEqual(['דנה כהן', '050-123-4567'])
    await userEvent.clear(name)
    await userEvent.type(name, 'דנה לוי')
    await userEvent.clear(phone)
    await userEvent.type(phone, '052-765-4321')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))

    expect(await screen.findByRole('heading', { name: 'דנה לוי' })).toBeTruthy()
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(server.writes().map((r) => [r.method, r.path, r.body, r.headers['X-CSRF-Token']])).toEqual([
      ['PUT', '/api/crm/customers/7', { name: 'דנה לוי', phone: '052-765-4321', email: 'dana@example.co.il', notes: 'מעדיפה וואטסאפ' }, 'csrf-1'],
    ])
  })

  it("shows the server's field messages when an edit is refused", async () => {
    customerServer({
      'PUT /api/crm/customers/7': { status: 422, body: validationBody({ phone: ['invalid phone number', 'invalid_phone'] }) },
    })
    renderCard()
    await userEvent.click(await screen.findByRole('button', { name: 'עריכה' }))
    const dialog = screen.getByRole('dialog', { name: 'עריכת לקוח' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    expect(await within(dialog).findByText('מספר טלפון לא תקין')).toBeTruthy()
    expect(within(dialog).getByRole('alert').textContent).toBe('יש לתקן את השדות המסומנים.')
  })

  it('deletes only after confirmation, then goes back to the list', async () => {
    const server = customerServer()
    const { router } = renderCard(platformAdmin, { business_id: 1 })
    await userEvent.click(await screen.findByRole('button', { name: 'מחיקה' }))
    let dialog = screen.getByRole('dialog', { name: 'מחיקה' })
    expect(dialog.textContent).toContain('למחוק את הלקוח "דנה כהן"?')
    await userEvent.click(within(dialog).getByRole('button', { name: 'ביטול' }))
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(server.writes()).toEqual([])

    await userEvent.click(screen.getByRole('button', { name: 'מחיקה' }))
    dialog = screen.getByRole('dialog', { name: 'מחיקה' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'מחיקה' }))

    await waitFor(() => expect(router.state.location.pathname).toBe('/customers'))
    const sent = server.writes()
    expect(sent.map((r) => [r.method, r.path, r.query.get('business_id')])).toEqual([['DELETE', '/api/crm/customers/7', '1']])
  })

  it('a customer with history is kept, and the dialog says why', async () => {
    customerServer({ 'DELETE /api/crm/customers/7': { status: 409, body: { error: 'customer has history: calls 2', code: 'customer_has_history' } } })
    const { router } = renderCard()
    await userEvent.click(await screen.findByRole('button', { name: 'מחיקה' }))
    const dialog = screen.getByRole('dialog', { name: 'מחיקה' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'מחיקה' }))
    expect((await within(dialog).findByRole('alert')).textContent).toContain('אי אפשר למחוק לקוח שיש לו היסטוריה')
    expect(router.state.location.pathname).toBe('/customers/7')
  })

  it('offers a viewer no edit or delete', async () => {
    customerServer()
    renderCard(viewer)
    await screen.findByRole('heading', { name: 'דנה כהן' })
    expect(screen.queryByRole('button', { name: 'עריכה' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'מחיקה' })).toBeNull()
  })
})
