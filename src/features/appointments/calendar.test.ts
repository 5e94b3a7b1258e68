import { describe, expect, it } from 'vitest'
import { ApiError } from '../../lib/api-client'
import {
  addDays, agorotToShekels, assignLanes, blockPosition, gridHours, israelMinutes, israelToday, nowPosition, offeredSlots,
  onDay, shekelsToAgorot, splitByNow, visibleDays, weekStart, weekday,
} from './calendar'

describe('Israeli days', () => {
  it('runs a week from Sunday to Shabbat', () => {
    expect(weekday('2026-12-10')).toBe(4) // Thursday
    expect(weekStart('2026-12-10')).toBe('2026-12-06')
    expect(weekStart('2026-12-06')).toBe('2026-12-06')
    expect(weekStart('2026-12-12')).toBe('2026-12-06') // Shabbat ends the week
    expect(visibleDays('2026-12-10', 'week')).toEqual(
      ['2026-12-06', '2026-12-07', '2026-12-08', '2026-12-09', '2026-12-10', '2026-12-11', '2026-12-12'])
    expect(visibleDays('2026-12-10', 'day')).toEqual(['2026-12-10'])
  })

  it('adds days across months and the DST change', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2026-03-29', -7)).toBe('2026-03-22')
    expect(addDays('2026-10-25', 1)).toBe('2026-10-26')
  })

  it('reads the day and the clock in Israel, not in the browser zone', () => {
    // 22:30 UTC in winter is 00:30 the next day in Israel.
    expect(israelToday(new Date('2026-11-24T22:30:00Z'))).toBe('2026-11-25')
    expect(israelMinutes('2026-11-24T22:30:00Z')).toBe(30)
    // Summer time: UTC+3.
    expect(israelMinutes('2026-07-01T07:00:00+00:00')).toBe(10 * 60)
    expect(israelMinutes('2026-12-01T08:15:00+00:00')).toBe(10 * 60 + 15)
  })
})

describe('the time grid', () => {
  const at = (start: string, end: string) => ({ start, end })

  it('shows 08:00–20:00 and widens to an early or late appointment', () => {
    expect(gridHours([], ['2026-12-06'])).toEqual({ from: 480, to: 1200 })
    const early = at('2026-12-06T05:30:00Z', '2026-12-06T06:15:00Z') // 07:30–08:15 Israel
    const late = at('2026-12-06T19:00:00Z', '2026-12-06T19:45:00Z') // 21:00–21:45
    expect(gridHours([early, late], ['2026-12-06'])).toEqual({ from: 420, to: 22 * 60 })
    // An appointment on a day not shown does not stretch the grid.
    expect(gridHours([early], ['2026-12-07'])).toEqual({ from: 480, to: 1200 })
  })

  it('places a block by its Israel start and length', () => {
    const grid = { from: 480, to: 1200 } // 12 hours
    const block = blockPosition(at('2026-12-06T08:00:00Z', '2026-12-06T09:30:00Z'), grid) // 10:00–11:30
    expect(block.top).toBeCloseTo((120 / 720) * 100)
    expect(block.height).toBeCloseTo((90 / 720) * 100)
  })

  it('draws the now line only inside the grid', () => {
    const grid = { from: 480, to: 1200 }
    expect(nowPosition(new Date('2026-12-06T12:00:00Z'), grid)).toBeCloseTo((360 / 720) * 100) // 14:00
    expect(nowPosition(new Date('2026-12-06T20:00:00Z'), grid)).toBeNull() // 22:00
  })

  it('keeps each Israeli day its own appointments, by start', () => {
    const late = { id: 2, start: '2026-12-06T15:00:00Z', end: '2026-12-06T16:00:00Z' }
    const early = { id: 1, start: '2026-12-06T07:00:00Z', end: '2026-12-06T08:00:00Z' }
    const afterMidnight = { id: 3, start: '2026-12-06T22:30:00Z', end: '2026-12-06T23:00:00Z' } // 00:30 on the 7th
    expect(onDay([late, early, afterMidnight], '2026-12-06').map((a) => a.id)).toEqual([1, 2])
    expect(onDay([late, early, afterMidnight], '2026-12-07').map((a) => a.id)).toEqual([3])
  })

  it('puts overlapping appointments side by side and lone ones full width', () => {
    const a = { id: 1, start: '2026-12-06T08:00:00Z', end: '2026-12-06T09:00:00Z' }
    const b = { id: 2, start: '2026-12-06T08:30:00Z', end: '2026-12-06T09:30:00Z' }
    const c = { id: 3, start: '2026-12-06T09:00:00Z', end: '2026-12-06T09:15:00Z' } // a's lane is free again
    const d = { id: 4, start: '2026-12-06T12:00:00Z', end: '2026-12-06T13:00:00Z' }
    const placed = Object.fromEntries(assignLanes([d, c, b, a]).map((p) => [p.item.id, [p.lane, p.lanes]]))
    expect(placed).toEqual({ 1: [0, 2], 2: [1, 2], 3: [0, 2], 4: [0, 1] })
  })
})

describe('prices and answers', () => {
  it('turns shekels typed into agorot and back', () => {
    expect(shekelsToAgorot('180')).toBe(18000)
    expect(shekelsToAgorot('180.5')).toBe(18050)
    expect(shekelsToAgorot('1,250.99 ₪')).toBe(125099)
    expect(shekelsToAgorot('abc')).toBeNull()
    expect(shekelsToAgorot('1.234')).toBeNull()
    expect(agorotToShekels(18050)).toBe('180.50')
    expect(agorotToShekels(18000)).toBe('180')
    expect(agorotToShekels(5)).toBe('0.05')
  })

  it('reads the next free slots from a 409 slot taken, and nothing from other errors', () => {
    const slot = { start: '2026-12-06T08:15:00+00:00', end: '2026-12-06T09:00:00+00:00', staff_id: 2 }
    const taken = new ApiError(409, 'slot_taken', {}, { error: 'slot taken', code: 'slot_taken', next_slots: [slot] })
    expect(offeredSlots(taken)).toEqual([slot])
    expect(offeredSlots(new ApiError(409, 'slot_taken', {}, { error: 'slot taken', code: 'slot_taken' }))).toEqual([])
    expect(offeredSlots(new ApiError(422, 'outside_hours'))).toBeNull()
    expect(offeredSlots(null)).toBeNull()
  })

  it('splits a customer’s appointments into upcoming (soonest first) and past (latest first)', () => {
    const now = new Date('2026-12-06T10:00:00Z')
    const items = [
      { id: 1, start: '2026-11-01T08:00:00Z', end: '2026-11-01T09:00:00Z', status: 'done' },
      { id: 2, start: '2026-12-20T08:00:00Z', end: '2026-12-20T09:00:00Z', status: 'booked' },
      { id: 3, start: '2026-12-08T08:00:00Z', end: '2026-12-08T09:00:00Z', status: 'confirmed' },
      { id: 4, start: '2026-11-20T08:00:00Z', end: '2026-11-20T09:00:00Z', status: 'no_show' },
    ]
    const { upcoming, past } = splitByNow(items, now)
    expect(upcoming.map((a) => a.id)).toEqual([3, 2])
    expect(past.map((a) => a.id)).toEqual([4, 1])
  })
})
