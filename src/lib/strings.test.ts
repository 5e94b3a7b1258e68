import { describe, expect, it } from 'vitest'
import serverCodes from './error-codes.json'
import { errorText, errorTexts, he } from './strings'

describe('error texts', () => {
  it('has Hebrew for every code the server can answer', () => {
    const missing = serverCodes.filter((code) => !Object.hasOwn(errorTexts, code))
    expect(missing).toEqual([])
  })

  it('has no entry for a code the server does not have', () => {
    expect(Object.keys(errorTexts).filter((code) => !serverCodes.includes(code))).toEqual([])
  })

  it('fills in the parameters', () => {
    expect(errorText('too_long', { max: 120 })).toBe('לכל היותר 120 תווים')
    expect(errorText('whole_number_range', { min: 1, max: 50 })).toBe('מספר שלם מ-1 עד 50')
    expect(errorText('missing_variables', { names: ['name', 'date'] })).toBe('חסרים ערכים לתבנית: name, date')
    expect(errorText('allocation_number_required', { amount: 10000 })).toContain('10,000 ₪')
  })

  it('reads an unknown code as an unexpected error, whatever it looks like', () => {
    expect(errorText('no_such_code')).toBe(he.errors.unknown)
    expect(errorText('constructor')).toBe(he.errors.unknown)
    expect(errorText('phone exists')).toBe(he.errors.unknown)
    expect(errorText(undefined)).toBe(he.errors.unknown)
  })
})
