import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi, validationBody } from '../../../test/fake-api'
import { renderWithApp, staff, viewer } from '../../../test/render'
import { CustomersList } from './CustomersList'

const dana = {
  id: 7, business_id: 1, name: 'דנה כהן', phone: '+972501234567', email: 'dana@example.co.il', notes: null,
  source: 'manual', created_at: '2026-11-20T10:00:00+00:00', updated_at: null,
}

function customersRoute(all = [dana]) {
  return (request: { query: URLSearchParams }) => {
    const q = request.query.get('q') ?? ''
    const digits = q.replace(/\D/g, '')
    const items = all.filter((c) => !q || c.name.includes(q) || (digits && ('0' + c.phone.slice(4)).includes(digits)))
    return { body: { page: Number(request.query.get('page') ?? 1), limit: 25, total: items.length, items } }
  }
}

describe('CustomersList', () => {
  it('shows customers with Israeli phone format', async () => {
    fakeApi({ 'GET /api/crm/customers': customersRoute() })
    renderWithApp(<CustomersList scope={{}} canWrite />, { user: staff })
    const row = (await screen.findByText('דנה כהן')).closest('tr')!
    expect(within(row).getByText('050-123-4567')).toBeTruthy()
  })

  it('searches as you type, sending what was typed', async () => {
    const { requests } = fakeApi({ 'GET /api/crm/customers': customersRoute() })
    renderWithApp(<CustomersList scope={{}} canWrite />, { user: staff })
    await screen.findByText('דנה כהן')
    await userEvent.type(screen.getByRole('searchbox'), '0509')
    expect(await screen.findByText('לא נמצאו לקוחות עבור "0509".')).toBeTruthy()
    await userEvent.clear(screen.getByRole('searchbox'))
    await userEvent.type(screen.getByRole('searchbox'), '050-123')
    // The row is on screen before the search too: wait for the search itself.
    await waitFor(() => expect(requests.some((r) => r.query.get('q') === '050-123')).toBe(true))
    expect(await screen.findByText('דנה כהן')).toBeTruthy()
  })

  it('says a broad search has more matches than its count', async () => {
    fakeApi({
      'GET /api/crm/customers': () => ({
        body: { page: 1, limit: 25, total: 2000, items: [dana] },
        headers: { 'X-Total-Exact': 'false' },
      }),
    })
    renderWithApp(<CustomersList scope={{}} canWrite />, { user: staff })
    expect(await screen.findByText('יותר מ־2,000 תוצאות — כדאי לחדד את החיפוש')).toBeTruthy()
  })

  it('offers no create button to a viewer', async () => {
    fakeApi({ 'GET /api/crm/customers': customersRoute() })
    renderWithApp(<CustomersList scope={{}} canWrite={false} />, { user: viewer })
    await screen.findByText('דנה כהן')
    expect(screen.queryByRole('button', { name: 'לקוח חדש' })).toBeNull()
  })

  it('shows the server per-field messages when creating fails', async () => {
    fakeApi({
      'GET /api/crm/customers': customersRoute([]),
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'POST /api/crm/customers': { status: 422, body: validationBody({ phone: ['invalid phone number', 'invalid_phone'], name: ['Field required', 'required'] }) },
    })
    renderWithApp(<CustomersList scope={{ business_id: 1 }} canWrite />, { user: staff })
    expect(await screen.findByText('אין עדיין לקוחות.')).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'לקוח חדש' }))
    await userEvent.type(screen.getByLabelText('טלפון'), '123')
    await userEvent.click(screen.getByRole('button', { name: 'שמירה' }))
    expect(await screen.findByText('מספר טלפון לא תקין')).toBeTruthy()
    expect(screen.getByText('שדה חובה')).toBeTruthy()
  })

  it('sends the ID digits only when typed, and shows their error in Hebrew', async () => {
    const { requests } = fakeApi({
      'GET /api/crm/customers': customersRoute([]),
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'POST /api/crm/customers': { status: 422, body: validationBody({ id_last4: ['the last 4 digits of the ID number', 'id_last4'] }) },
    })
    renderWithApp(<CustomersList scope={{ business_id: 1 }} canWrite />, { user: staff })
    expect(await screen.findByText('אין עדיין לקוחות.')).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'לקוח חדש' }))
    await userEvent.type(screen.getByLabelText('שם'), 'דנה')
    await userEvent.click(screen.getByRole('button', { name: 'שמירה' }))
    await userEvent.type(screen.getByLabelText('4 ספרות אחרונות של ת״ז'), '12a4')
    await userEvent.click(screen.getByRole('button', { name: 'שמירה' }))
    expect(await screen.findByText('יש להזין 4 ספרות בדיוק')).toBeTruthy()
    const posts = requests.filter((r) => r.method === 'POST').map((r) => r.body as Record<string, unknown>)
    expect(posts.map((b) => 'id_last4' in b)).toEqual([false, true])
    expect(posts[1].id_last4).toBe('12a4')
  })

  it('shows an error state when the server fails', async () => {
    fakeApi({ 'GET /api/crm/customers': { status: 500, body: { error: 'internal error', code: 'internal_error' } } })
    renderWithApp(<CustomersList scope={{}} canWrite />, { user: staff })
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('משהו השתבש'))
  })
})
