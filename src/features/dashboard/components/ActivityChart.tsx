import type { DayActivity } from '../api/get-dashboard'
import { formatDayMonth } from '../../../lib/format'
import { he } from '../../../lib/strings'

const WIDTH = 640
const HEIGHT = 220
const PAD = { top: 12, bottom: 28, side: 32 }

/** A round number ≥ max for the y axis, so gridlines fall on whole values. */
export function niceMax(max: number): number {
  if (max <= 4) return 4
  const magnitude = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= max) return step * magnitude
  }
  return 10 * magnitude
}

/**
 * Calls and messages per day as grouped bars, drawn by hand in SVG (no chart library in
 * the bundle). Time runs right to left, the way a Hebrew reader scans: today is at the
 * left edge.
 */
export function ActivityChart({ days }: { days: DayActivity[] }) {
  const max = niceMax(Math.max(0, ...days.map((d) => Math.max(d.calls, d.messages))))
  const plotWidth = WIDTH - PAD.side * 2
  const plotHeight = HEIGHT - PAD.top - PAD.bottom
  const slot = plotWidth / Math.max(days.length, 1)
  const bar = Math.max(2, Math.min(14, slot / 3))
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight
  const ticks = [0, max / 4, max / 2, (3 * max) / 4, max]
  const labelEvery = Math.ceil(days.length / 10)
  const empty = days.every((d) => d.calls === 0 && d.messages === 0)

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={he.dashboard.chartLabel(days.length)}>
        {ticks.map((tick) => (
          <g key={tick} className="chart-grid">
            <line x1={PAD.side} x2={WIDTH - PAD.side} y1={y(tick)} y2={y(tick)} />
            <text x={WIDTH - PAD.side + 6} y={y(tick) + 4} textAnchor="start">
              {Number.isInteger(tick) ? tick : tick.toFixed(1)}
            </text>
          </g>
        ))}
        {days.map((day, index) => {
          // Index 0 is the oldest day: it sits at the right end.
          const center = WIDTH - PAD.side - slot * (index + 0.5)
          return (
            <g key={day.day} data-day={day.day}>
              <rect className="bar-calls" x={center} y={y(day.calls)} width={bar} height={y(0) - y(day.calls)}>
                <title>{`${formatDayMonth(day.day)} — ${he.dashboard.chartCalls}: ${day.calls}`}</title>
              </rect>
              <rect className="bar-messages" x={center - bar} y={y(day.messages)} width={bar} height={y(0) - y(day.messages)}>
                <title>{`${formatDayMonth(day.day)} — ${he.dashboard.chartMessages}: ${day.messages}`}</title>
              </rect>
              {(days.length - 1 - index) % labelEvery === 0 && (
                <text className="chart-label" x={center} y={HEIGHT - 8} textAnchor="middle">
                  {formatDayMonth(day.day)}
                </text>
              )}
            </g>
          )
        })}
      </svg>
      <figcaption className="chart-legend">
        <span><i className="swatch swatch-calls" />{he.dashboard.chartCalls}</span>
        <span><i className="swatch swatch-messages" />{he.dashboard.chartMessages}</span>
        {empty && <span className="muted">{he.dashboard.chartEmpty}</span>}
      </figcaption>
    </figure>
  )
}
