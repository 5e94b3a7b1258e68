import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi } from '../../../test/fake-api'
import { renderWithApp, staff, viewer } from '../../../test/render'
import { Timeline } from './Timeline'

const task = (id: number, title: string, status = 'open') => ({
  type: 'task', at: `2026-11-${10 + id}T08:00:00+00:00`, data: { id, title, description: null, status, due_at: null },
})

describe('Timeline', () => {
  it('loads older events with the cursor the server sent', async () => {
    const { requests } = fakeApi({
      'GET /api/customers/7/timeline': (r) => (r.query.get('before') === 'cursor-1'
        ? { body: [task(1, 'משימה ישנה')] }
        : { body: [task(2, 'משימה חדשה')], headers: { 'X-Next-Cursor': 'cursor-1' } }),
    })
    renderWithApp(<Timeline customerId={7} scope={{}} canWrite={false} />, { user: viewer })
    expect(await screen.findByText('משימה חדשה')).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'לטעון עוד' }))
    expect(await screen.findByText('משימה ישנה')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'לטעון עוד' })).toBeNull()
    expect(requests.map((r) => r.query.get('before'))).toEqual([null, 'cursor-1'])
  })

  it('lets staff close an open task, and shows viewers no such button', async () => {
    const { requests } = fakeApi({
      'GET /api/customers/7/timeline': { body: [task(3, 'לחזור ללקוחה')] },
      'GET /api/auth/csrf': { body: { csrf_token: 't' } },
      'PUT /api/customers/7/tasks/3': { body: { id: 3, title: 'לחזור ללקוחה', status: 'done' } },
    })
    const { unmount } = renderWithApp(<Timeline customerId={7} scope={{}} canWrite={false} />, { user: viewer })
    await screen.findByText('לחזור ללקוחה')
    expect(screen.queryByRole('button', { name: 'סימון כבוצעה' })).toBeNull()
    unmount()

    renderWithApp(<Timeline customerId={7} scope={{}} canWrite />, { user: staff })
    await userEvent.click(await screen.findByRole('button', { name: 'סימון כבוצעה' }))
    await screen.findByText('לחזור ללקוחה')
    const put = requests.find((r) => r.method === 'PUT')!
    expect(put.body).toEqual({ status: 'done' })
  })
})
