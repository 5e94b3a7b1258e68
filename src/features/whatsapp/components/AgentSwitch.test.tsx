import { describe, expect, it } from 'vitest'
import { handlerText } from './AgentSwitch'

const base = { customer_id: 1, handed_over_at: null, handed_over_reason: null } as const

describe('handlerText', () => {
  it('says the agent answers, or only outside hours', () => {
    expect(handlerText({ ...base, handler: 'agent', agent_setting: 'always' })).toBe('הסוכן עונה בשיחה הזאת')
    expect(handlerText({ ...base, handler: 'agent', agent_setting: 'outside_hours' })).toContain('מחוץ לשעות הפעילות')
  })
  it('says staff have it, and that the customer asked for a person', () => {
    expect(handlerText({ ...base, handler: 'staff', agent_setting: 'always', handed_over_reason: 'staff' })).toBe('הצוות עונה בשיחה הזאת, הסוכן לא מגיב')
    expect(handlerText({ ...base, handler: 'staff', agent_setting: 'always', handed_over_reason: 'customer' })).toMatch(/^הלקוח ביקש נציג/)
  })
  it('says the agent is off for the business', () => {
    expect(handlerText({ ...base, handler: 'staff', agent_setting: 'off' })).toContain('לא עונה בוואטסאפ')
  })
})
