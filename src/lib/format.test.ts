import { describe, expect, it } from 'vitest'
import { formatDateTime, formatMoney, formatPhone, israelDay } from './format'

describe('Israeli formats', () => {
  it('shows phones the way Israelis write them', () => {
    expect(formatPhone('+972501234567')).toBe('050-123-4567')
    expect(formatPhone('+97231234567')).toBe('03-123-4567')
    expect(formatPhone('+14155550100')).toBe('+14155550100')
    expect(formatPhone(null)).toBe('—')
  })

  it('shows times on the Israeli clock, across midnight and DST', () => {
    // 22:30 UTC in November is 00:30 the next day in Israel (UTC+2).
    expect(formatDateTime('2026-11-24T22:30:00+00:00')).toBe('25.11.2026, 00:30')
    // In July Israel is UTC+3.
    expect(formatDateTime('2026-07-01T09:00:00Z')).toBe('01.07.2026, 12:00')
    expect(israelDay('2026-11-24T22:30:00Z')).toBe('2026-11-25')
    expect(formatDateTime(null)).toBe('—')
  })

  it('shows agorot as shekels', () => {
    expect(formatMoney(123450)).toContain('1,234.50')
    expect(formatMoney(123450)).toContain('₪')
  })
})
