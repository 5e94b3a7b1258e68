import { describe, expect, it } from 'vitest'
import { israelLocalToIso, israelOffsetMinutes } from './israel-time'

describe('Israeli wall-clock times', () => {
  it('knows winter and summer time', () => {
    expect(israelOffsetMinutes(new Date('2026-01-15T12:00:00Z'))).toBe(120)
    expect(israelOffsetMinutes(new Date('2026-07-15T12:00:00Z'))).toBe(180)
  })

  it('turns what a person typed in Israel into the right instant', () => {
    expect(israelLocalToIso('2026-11-25T10:00')).toBe('2026-11-25T08:00:00.000Z')
    expect(israelLocalToIso('2026-07-01T09:30')).toBe('2026-07-01T06:30:00.000Z')
    // Midnight right after the spring change (Friday 27.3.2026 02:00 → 03:00).
    expect(israelLocalToIso('2026-03-28T00:00')).toBe('2026-03-27T21:00:00.000Z')
    expect(israelLocalToIso('not a time')).toBeNull()
  })
})
