import { render } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ActivityChart, niceMax } from './ActivityChart'

describe('ActivityChart', () => {
  it('draws bar heights in proportion and time from right to left', () => {
    const days = [
      { day: '2026-11-22', calls: 2, messages: 0 },
      { day: '2026-11-23', calls: 4, messages: 1 },
    ]
    const { container } = render(<ActivityChart days={days} />)
    const [oldest, newest] = [...container.querySelectorAll('g[data-day]')]
    const height = (g: Element, cls: string) => Number(g.querySelector(`.${cls}`)!.getAttribute('height'))
    const x = (g: Element) => Number(g.querySelector('.bar-calls')!.getAttribute('x'))
    expect(height(newest, 'bar-calls')).toBeCloseTo(2 * height(oldest, 'bar-calls'))
    expect(height(oldest, 'bar-messages')).toBe(0)
    expect(x(oldest)).toBeGreaterThan(x(newest))
  })

  it('picks round axis maxima', () => {
    expect(niceMax(0)).toBe(4)
    expect(niceMax(7)).toBe(10)
    expect(niceMax(23)).toBe(25)
    expect(niceMax(120)).toBe(200)
  })
})
