import { TIME_ZONE } from './format'

const partsFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
})

/** Minutes Israel is ahead of UTC at this instant (120 in winter, 180 in summer). */
export function israelOffsetMinutes(instant: Date): number {
  const parts = Object.fromEntries(partsFormat.formatToParts(instant).map((p) => [p.type, p.value]))
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second)
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000)
}

/**
 * A wall-clock time typed in Israel ("2026-11-25T10:00" from <input type=datetime-local>)
 * → an ISO 8601 instant with its offset, whatever the browser's own time zone.
 */
export function israelLocalToIso(local: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local)
  if (!match) return null
  const [, y, mo, d, h, mi] = match.map(Number)
  const naive = Date.UTC(y, mo - 1, d, h, mi)
  // The offset at the guessed instant, then once more at the corrected one (DST edges).
  let offset = israelOffsetMinutes(new Date(naive - israelOffsetMinutes(new Date(naive)) * 60000))
  offset = israelOffsetMinutes(new Date(naive - offset * 60000))
  return new Date(naive - offset * 60000).toISOString()
}
