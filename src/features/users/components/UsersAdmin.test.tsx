import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi, validationBody } from '../../../test/fake-api'
import { platformAdmin, renderWithApp } from '../../../test/render'
import { aBusiness } from '../../../test/fixtures'
import type { AppUser, Business } from '../../../types/api'
import { UsersAdmin } from './UsersAdmin'

const businessAdmin = { id: 5, email: 'ruti@ruti.co.il', role: 'admin' as const, business_id: 1, business_name: 'מספרת רותי' }
const ruti: Business = aBusiness({ id: 1, name: 'מספרת רותי', created_at: null })
const avi: Business = { ...ruti, id: 2, name: 'מוסך אבי' }
const owner: AppUser = {
  id: 5, email: 'ruti@ruti.co.il', name: 'רותי לוי', role: 'admin', business_id: 1, active: true,
  last_login_at: null, created_at: null,
}

function usersServer(create: (body: Record<string, unknown>) => { status?: number; body: unknown }) {
  const rows: AppUser[] = [owner]
  return fakeApi({
    'GET /api/auth/csrf': { body: { csrf_token: 'csrf-1' } },
    'GET /api/users': () => ({ body: { items: rows } }),
    'POST /api/users': (r) => {
      const answer = create(r.body as Record<string, unknown>)
      if ((answer.status ?? 201) < 300) rows.push(answer.body as AppUser)
      return { status: answer.status ?? 201, body: answer.body }
    },
  })
}

async function openNewUser() {
  await screen.findByText('ruti@ruti.co.il')
  await userEvent.click(screen.getByRole('button', { name: 'משתמש חדש' }))
  return screen.getByRole('dialog', { name: 'משתמש חדש' })
}

describe('UsersAdmin', () => {
  it('a business admin creates a user with the role chosen', async () => {
    const { requests } = usersServer((body) => ({
      body: { ...body, id: 9, business_id: 1, active: true, last_login_at: null, created_at: null },
    }))
    renderWithApp(<UsersAdmin scope={{}} businesses={[]} platform={false} />, { user: businessAdmin })
    const dialog = await openNewUser()
    expect(within(dialog).queryByLabelText('עסק')).toBeNull()  // pinned to their own business

    await userEvent.type(within(dialog).getByLabelText('אימייל'), 'yossi@ruti.co.il')
    await userEvent.type(within(dialog).getByLabelText('שם'), 'יוסי כהן')
    await userEvent.type(within(dialog).getByLabelText('סיסמה'), 'סיסמה-ארוכה-1')
    await userEvent.selectOptions(within(dialog).getByLabelText('תפקיד'), 'צפייה בלבד')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))

    const row = (await screen.findByText('yossi@ruti.co.il')).closest('tr')!
    expect(within(row).getByText('צפייה בלבד')).toBeTruthy()
    expect(within(row).getByText('יוסי כהן')).toBeTruthy()
    const sent = requests.filter((r) => r.method === 'POST')
    expect(sent.map((r) => r.body)).toEqual([
      { email: 'yossi@ruti.co.il', name: 'יוסי כהן', password: 'סיסמה-ארוכה-1', role: 'viewer' },
    ])
    expect(sent[0].headers['X-CSRF-Token']).toBe('csrf-1')
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('the platform admin chooses the business of a new user', async () => {
    const { requests } = usersServer((body) => ({
      body: { ...body, id: 9, active: true, last_login_at: null, created_at: null },
    }))
    renderWithApp(<UsersAdmin scope={{}} businesses={[ruti, avi]} platform />, { user: platformAdmin })
    const dialog = await openNewUser()
    await userEvent.type(within(dialog).getByLabelText('אימייל'), 'avi@garage.co.il')
    await userEvent.type(within(dialog).getByLabelText('סיסמה'), 'סיסמה-ארוכה-1')
    await userEvent.selectOptions(within(dialog).getByLabelText('תפקיד'), 'מנהל')
    await userEvent.selectOptions(within(dialog).getByLabelText('עסק'), 'מוסך אבי')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))

    const row = (await screen.findByText('avi@garage.co.il')).closest('tr')!
    expect(within(row).getByText('מוסך אבי')).toBeTruthy()
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual(
      { email: 'avi@garage.co.il', name: null, password: 'סיסמה-ארוכה-1', role: 'admin', business_id: 2 })
  })

  it("shows the server's 422 messages in Hebrew beside each field", async () => {
    usersServer(() => ({
      status: 422,
      body: validationBody({
        email: ['invalid email', 'invalid_email'],
        password: ['at least 8 characters', 'too_short', { min: 8 }],
        role: ['one of admin, staff, viewer', 'one_of', { choices: ['admin', 'staff', 'viewer'] }],
        business_id: ['staff and viewers belong to a business', 'business_required'],
      }),
    }))
    renderWithApp(<UsersAdmin scope={{}} businesses={[ruti]} platform />, { user: platformAdmin })
    const dialog = await openNewUser()
    await userEvent.type(within(dialog).getByLabelText('אימייל'), 'yossi')
    await userEvent.type(within(dialog).getByLabelText('סיסמה'), '123')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))

    expect(await within(dialog).findByText('כתובת אימייל לא תקינה')).toBeTruthy()
    const password = within(dialog).getByLabelText('סיסמה')
    expect(password.getAttribute('aria-invalid')).toBe('true')
    expect(document.getElementById(password.getAttribute('aria-describedby')!)?.textContent).toBe('לפחות 8 תווים')
    expect(within(dialog).getByText('ערך לא חוקי')).toBeTruthy()
    expect(within(dialog).getByText('עובדי צוות וצופים חייבים להיות משויכים לעסק')).toBeTruthy()
    expect(within(dialog).getByRole('alert').textContent).toBe('יש לתקן את השדות המסומנים.')
    expect(dialog.textContent).not.toMatch(/invalid email|at least 8/)
    expect(screen.getByRole('dialog', { name: 'משתמש חדש' })).toBeTruthy()  // still open to fix
  })

  it('a taken email (409) is said in Hebrew', async () => {
    usersServer(() => ({ status: 409, body: { error: 'email exists', code: 'email_exists' } }))
    renderWithApp(<UsersAdmin scope={{}} businesses={[]} platform={false} />, { user: businessAdmin })
    const dialog = await openNewUser()
    await userEvent.type(within(dialog).getByLabelText('אימייל'), 'ruti@ruti.co.il')
    await userEvent.type(within(dialog).getByLabelText('סיסמה'), 'סיסמה-ארוכה-1')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    await waitFor(() => expect(within(dialog).getByRole('alert').textContent).toBe('האימייל כבר רשום'))
  })
})
