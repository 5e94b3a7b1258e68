import { screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { fakeApi } from '../../../test/fake-api'
import { renderWithApp, staff } from '../../../test/render'
import type { Dashboard } from '../../../types/api'
import { DashboardView, formatPercent } from './DashboardView'

const dashboard = (over: Partial<Dashboard> = {}): Dashboard => ({
  time_zone: 'Asia/Jerusalem',
  today: { day: '2026-12-10', calls: 2, messages: 5, open_tasks: 1, overdue_tasks: 0, appointments: 1 },
  days: [{ day: '2026-12-10', calls: 2, messages: 5 }],
  recent_calls: [],
  appointments_today: [{
    id: 4, customer_id: 7, customer_name: 'מיכל לוי', service_name: 'החלקה', staff_name: 'דנה',
    start: '2026-12-10T08:30:00+00:00', end: '2026-12-10T10:30:00+00:00', status: 'confirmed',
  }],
  no_show: { days: 30, appointments: 8, no_shows: 1, rate: 0.125 },
  ...over,
})

describe('DashboardView', () => {
  it('shows today’s appointments in Israel time and the no-show rate of 30 days', async () => {
    fakeApi({ 'GET /api/dashboard': { body: dashboard() } })
    renderWithApp(<DashboardView businessId={1} />, { user: staff })
    const list = await screen.findByRole('list', { name: 'תורים היום' })
    expect(list.textContent).toContain('10:30')
    expect(within(list).getByRole('link', { name: 'מיכל לוי' }).getAttribute('href')).toBe('/customers/7')
    expect(list.textContent).toContain('החלקה · אצל דנה')
    expect(list.textContent).toContain('אושר')
    expect(screen.getByTestId('stat-appointments').textContent).toBe('1')
    expect(screen.getByTestId('stat-no-show').textContent).toBe(formatPercent(0.125))
    expect(screen.getByText('1 מתוך 8 תורים')).toBeTruthy()
  })

  it('says so when there is nothing to count, instead of 0 %', async () => {
    fakeApi({ 'GET /api/dashboard': { body: dashboard({
      appointments_today: [], no_show: { days: 30, appointments: 0, no_shows: 0, rate: null },
    }) } })
    renderWithApp(<DashboardView businessId={1} />, { user: staff })
    expect(await screen.findByText('אין תורים היום.')).toBeTruthy()
    expect(screen.getByTestId('stat-no-show').textContent).toBe('—')
    expect(screen.getByText('אין עדיין תורים שעברו')).toBeTruthy()
  })
})
