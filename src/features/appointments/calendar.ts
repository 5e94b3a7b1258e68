// The calendar's arithmetic, on Israeli days ("YYYY-MM-DD") and Israel wall-clock minutes,
// whatever the browser's own time zone. Pure functions: the components only draw.
import { ApiError } from '../../lib/api-client'
import { israelDay, TIME_ZONE } from '../../lib/format'
import type { Slot } from '../../types/api'

const clockParts = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE, hourCycle: 'h23', hour: '2-digit', minute: '2-digit',
})

function dayToUtc(day: string): Date {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d))
}

/** The day `n` days after `day` (calendar days, so a DST change is no concern). */
export function addDays(day: string, n: number): string {
  const date = dayToUtc(day)
  date.setUTCDate(date.getUTCDate() + n)
  return date.toISOString().slice(0, 10)
}

/** 0 = Sunday … 6 = Shabbat. */
export function weekday(day: string): number {
  return dayToUtc(day).getUTCDay()
}

/** The Sunday that starts the Israeli week of `day`. */
export function weekStart(day: string): string {
  return addDays(day, -weekday(day))
}

/** The days a view shows: one, or Sunday to Shabbat. */
export function visibleDays(anchor: string, view: 'day' | 'week'): string[] {
  if (view === 'day') return [anchor]
  const first = weekStart(anchor)
  return Array.from({ length: 7 }, (_, i) => addDays(first, i))
}

/** Today in Israel. */
export function israelToday(now: Date = new Date()): string {
  return israelDay(now)
}

/** Minutes since midnight on the Israeli clock (10:30 in Israel → 630). */
export function israelMinutes(value: string | Date): number {
  const date = value instanceof Date ? value : new Date(value)
  const parts = Object.fromEntries(clockParts.formatToParts(date).map((p) => [p.type, p.value]))
  return Number(parts.hour) * 60 + Number(parts.minute)
}

export interface Span {
  start: string | null
  end: string | null
}

/** The hours the grid shows: 08:00–20:00, widened to every appointment on the visible days. */
export function gridHours(items: Span[], days: string[]): { from: number; to: number } {
  let from = 8 * 60
  let to = 20 * 60
  for (const item of items) {
    if (!item.start || !item.end || !days.includes(israelDay(item.start))) continue
    const start = israelMinutes(item.start)
    const endsNextDay = israelDay(item.end) !== israelDay(item.start)
    const end = endsNextDay ? 24 * 60 : israelMinutes(item.end)
    from = Math.min(from, Math.floor(start / 60) * 60)
    to = Math.max(to, Math.ceil(end / 60) * 60)
  }
  return { from, to }
}

/** Where a block sits in the day's column, in percent of the grid's height. */
export function blockPosition(item: Span, grid: { from: number; to: number }): { top: number; height: number } {
  const total = grid.to - grid.from
  const start = item.start ? israelMinutes(item.start) : grid.from
  let end = item.end ? israelMinutes(item.end) : start + 30
  if (item.start && item.end && israelDay(item.end) !== israelDay(item.start)) end = 24 * 60
  const top = Math.max(0, ((start - grid.from) / total) * 100)
  const height = Math.max(((Math.min(end, grid.to) - Math.max(start, grid.from)) / total) * 100, 2)
  return { top, height }
}

/** The "now" line's place in today's column (percent), or null when now is off the grid. */
export function nowPosition(now: Date, grid: { from: number; to: number }): number | null {
  const minutes = israelMinutes(now)
  if (minutes < grid.from || minutes > grid.to) return null
  return ((minutes - grid.from) / (grid.to - grid.from)) * 100
}

/** The appointments of one Israeli day, by start. */
export function onDay<T extends Span>(items: T[], day: string): T[] {
  return items.filter((item) => item.start && israelDay(item.start) === day)
    .sort((a, b) => (a.start! < b.start! ? -1 : a.start! > b.start! ? 1 : 0))
}

/** "HH:MM" for whole-hour grid labels. */
export function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

/** The free slots a 409 "slot taken" offers instead, or null for any other failure. */
export function offeredSlots(error: unknown): Slot[] | null {
  if (!(error instanceof ApiError) || error.status !== 409 || error.code !== 'slot_taken') return null
  const body = error.body as { next_slots?: Slot[] } | null
  return Array.isArray(body?.next_slots) ? body.next_slots : []
}

/** "180" or "180.5" shekels → 18000 / 18050 agorot; null when it is not an amount. */
export function shekelsToAgorot(text: string): number | null {
  const clean = text.replace(/[₪,\s]/g, '')
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return null
  const [whole, fraction = ''] = clean.split('.')
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'))
}

/** 18050 → "180.50", 18000 → "180": what the price field shows for editing. */
export function agorotToShekels(agorot: number): string {
  const whole = Math.floor(agorot / 100)
  const rest = agorot % 100
  return rest ? `${whole}.${String(rest).padStart(2, '0')}` : String(whole)
}

/** Upcoming (soonest first) and past (latest first) appointments, split at `now`. */
export function splitByNow<T extends Span & { status: string }>(items: T[], now: Date): { upcoming: T[]; past: T[] } {
  const at = now.getTime()
  const upcoming = items.filter((a) => a.start && new Date(a.end ?? a.start).getTime() >= at)
    .sort((a, b) => new Date(a.start!).getTime() - new Date(b.start!).getTime())
  const past = items.filter((a) => a.start && new Date(a.end ?? a.start).getTime() < at)
    .sort((a, b) => new Date(b.start!).getTime() - new Date(a.start!).getTime())
  return { upcoming, past }
}

/**
 * Side-by-side lanes for blocks that overlap in one column: each item gets the first lane that
 * is free at its start; `lanes` is how many the busiest moment of its overlapping group needs.
 */
export function assignLanes<T extends Span>(items: T[]): { item: T; lane: number; lanes: number }[] {
  const sorted = [...items].filter((i) => i.start && i.end)
    .sort((a, b) => new Date(a.start!).getTime() - new Date(b.start!).getTime())
  const placed: { item: T; lane: number; lanes: number; end: number; group: number }[] = []
  let laneEnds: number[] = []
  let group = 0
  let groupEnd = -Infinity
  const groupLanes: number[] = []
  for (const item of sorted) {
    const start = new Date(item.start!).getTime()
    const end = new Date(item.end!).getTime()
    if (start >= groupEnd) {
      group += 1
      laneEnds = []
    }
    let lane = laneEnds.findIndex((laneEnd) => laneEnd <= start)
    if (lane === -1) lane = laneEnds.length
    laneEnds[lane] = end
    groupEnd = Math.max(start >= groupEnd ? end : groupEnd, end)
    groupLanes[group] = Math.max(groupLanes[group] ?? 0, lane + 1)
    placed.push({ item, lane, lanes: 0, end, group })
  }
  return placed.map(({ item, lane, group: g }) => ({ item, lane, lanes: groupLanes[g] }))
}
