import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { api } from '../../../lib/api-client'
import { fakeApi, validationBody } from '../../../test/fake-api'
import { renderWithApp } from '../../../test/render'
import { LoginForm } from './LoginForm'

describe('LoginForm', () => {
  it('shows the server refusal in Hebrew and stays on the form', async () => {
    fakeApi({ 'POST /api/auth/login': { status: 401, body: { error: 'invalid credentials', code: 'invalid_credentials' } } })
    const onSuccess = vi.fn()
    renderWithApp(<LoginForm onSuccess={onSuccess} />)
    await userEvent.type(screen.getByLabelText('אימייל'), 'staff@kesher.test')
    await userEvent.type(screen.getByLabelText('סיסמה'), 'wrong')
    await userEvent.click(screen.getByRole('button', { name: 'כניסה' }))
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'אימייל או סיסמה שגויים')
    expect(onSuccess).not.toHaveBeenCalled()
  })

  it('logs in, keeps the CSRF token for later calls and reports success', async () => {
    const { requests } = fakeApi({
      'POST /api/auth/login': { body: { user: { id: 2, email: 'staff@kesher.test', role: 'staff', business_id: 1 }, csrf_token: 'csrf-abc' } },
      'GET /api/auth/me': { body: { id: 2, email: 'staff@kesher.test', role: 'staff', business_id: 1, business_name: 'מספרת רותי' } },
    })
    const onSuccess = vi.fn()
    renderWithApp(<LoginForm onSuccess={onSuccess} />)
    await userEvent.type(screen.getByLabelText('אימייל'), ' staff@kesher.test ')
    await userEvent.type(screen.getByLabelText('סיסמה'), 'secret-pass')
    await userEvent.click(screen.getByRole('button', { name: 'כניסה' }))
    await waitFor(() => expect(onSuccess).toHaveBeenCalled())
    expect(requests[0].body).toEqual({ email: 'staff@kesher.test', password: 'secret-pass' })
    // The token from the login answer guards the next unsafe call, with no extra round trip.
    await api.post('/api/auth/logout').catch(() => {})
    expect(requests.at(-1)!.headers['X-CSRF-Token']).toBe('csrf-abc')
  })

  it('shows per-field messages from a 422', async () => {
    fakeApi({ 'POST /api/auth/login': { status: 422, body: validationBody({ email: ['String should have at least 3 characters', 'too_short', { min: 3 }] }) } })
    renderWithApp(<LoginForm onSuccess={() => {}} />)
    await userEvent.type(screen.getByLabelText('סיסמה'), 'x')
    await userEvent.click(screen.getByRole('button', { name: 'כניסה' }))
    expect(await screen.findByText('לפחות 3 תווים')).toBeTruthy()
    expect(screen.getByLabelText('אימייל').getAttribute('aria-invalid')).toBe('true')
  })
})
