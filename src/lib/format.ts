// Israeli formats: dates in Asia/Jerusalem, phones as 050-123-4567, money in shekels.

export const TIME_ZONE = 'Asia/Jerusalem'

const dateTimeFormat = new Intl.DateTimeFormat('he-IL', {
  timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
})
const dateFormat = new Intl.DateTimeFormat('he-IL', { timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric' })
const timeFormat = new Intl.DateTimeFormat('he-IL', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' })
const dayMonthFormat = new Intl.DateTimeFormat('he-IL', { timeZone: TIME_ZONE, day: 'numeric', month: 'numeric' })
const isoDayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
const moneyFormat = new Intl.NumberFormat('he-IL', { style: 'currency', currency: 'ILS' })

function toDate(value: string | Date | null | undefined): Date | null {
  if (!value) return null
  const date = value instanceof Date ? value : new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}

/** 25.11.2026, 00:30 — the wall clock in Israel, whatever the browser's zone. */
export function formatDateTime(value: string | Date | null | undefined): string {
  const date = toDate(value)
  return date ? dateTimeFormat.format(date) : '—'
}

export function formatDate(value: string | Date | null | undefined): string {
  const date = toDate(value)
  return date ? dateFormat.format(date) : '—'
}

export function formatTime(value: string | Date | null | undefined): string {
  const date = toDate(value)
  return date ? timeFormat.format(date) : '—'
}

/** "24.11" for chart axes; accepts an ISO day (2026-11-24) or a timestamp. */
export function formatDayMonth(value: string): string {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00Z`) : toDate(value)
  return date ? dayMonthFormat.format(date) : value
}

/** The Israeli calendar day (YYYY-MM-DD) of an instant. */
export function israelDay(value: string | Date): string {
  const date = toDate(value)
  return date ? isoDayFormat.format(date) : ''
}

/** +972501234567 → 050-123-4567; +97231234567 → 03-123-4567; foreign numbers stay international. */
export function formatPhone(e164: string | null | undefined): string {
  if (!e164) return '—'
  const digits = e164.replace(/[^\d+]/g, '')
  if (!digits.startsWith('+972')) return e164
  const national = '0' + digits.slice(4)
  if (national.length === 10) return `${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)}`
  if (national.length === 9) return `${national.slice(0, 2)}-${national.slice(2, 5)}-${national.slice(5)}`
  return national
}

/** Integer agorot → "‏1,234.50 ‏₪". Money never goes through floats on the server; here it is display only. */
export function formatMoney(agorot: number | null | undefined): string {
  if (agorot === null || agorot === undefined) return '—'
  return moneyFormat.format(agorot / 100)
}
