import { describe, expect, it, vi } from 'vitest'
import { fakeApi, validationBody } from '../test/fake-api'
import { api, ApiError, setCsrfToken, setUnauthorizedHandler } from './api-client'

describe('api client', () => {
  it('sends the CSRF token on unsafe calls, not on reads', async () => {
    const { requests } = fakeApi({ 'POST /api/crm/customers': { status: 201, body: { id: 1 } }, 'GET /api/crm/customers': { body: [] } })
    setCsrfToken('tok-123')
    await api.get('/api/crm/customers', { query: { q: 'דנה', page: 1, empty: '' } })
    await api.post('/api/crm/customers', { name: 'דנה' })
    expect(requests[0].headers['X-CSRF-Token']).toBeUndefined()
    expect(requests[0].query.get('q')).toBe('דנה')
    expect(requests[0].query.has('empty')).toBe(false)
    expect(requests[1].headers['X-CSRF-Token']).toBe('tok-123')
    expect(requests[1].body).toEqual({ name: 'דנה' })
  })

  it('asks the server for the token when it has none (after a reload)', async () => {
    const { requests } = fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'fresh' } },
      'DELETE /api/crm/customers/4': { body: { ok: true } },
    })
    await api.delete('/api/crm/customers/4')
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/auth/csrf', 'DELETE /api/crm/customers/4'])
    expect(requests[1].headers['X-CSRF-Token']).toBe('fresh')
  })

  it('retries once with a fresh token after a csrf refusal', async () => {
    let calls = 0
    const { requests } = fakeApi({
      'GET /api/auth/csrf': { body: { csrf_token: 'new' } },
      'POST /api/whatsapp/send': () => (++calls === 1 ? { status: 403, body: { error: 'csrf', code: 'csrf' } } : { body: { ok: true, id: 9 } }),
    })
    setCsrfToken('stale')
    await expect(api.post('/api/whatsapp/send', { to: '0501234567', text: 'שלום' })).resolves.toEqual({ ok: true, id: 9 })
    expect(requests.at(-1)!.headers['X-CSRF-Token']).toBe('new')
  })

  it('turns a 422 into per-field codes', async () => {
    fakeApi({
      'POST /api/crm/customers': {
        status: 422, body: validationBody({ name: ['at most 120 characters', 'too_long', { max: 120 }] }),
      },
    })
    setCsrfToken('t')
    const error = (await api.post('/api/crm/customers', {}).catch((e: unknown) => e)) as ApiError
    expect(error).toBeInstanceOf(ApiError)
    expect(error.status).toBe(422)
    expect(error.code).toBe('validation')
    expect(error.fields).toEqual({ name: 'at most 120 characters' })
    expect(error.fieldCode('name')).toEqual({ code: 'too_long', params: { max: 120 } })
    expect(error.fieldCode('phone')).toBeUndefined()
  })

  it('reads the code, never the text: an answer without one is http_error', async () => {
    fakeApi({
      'GET /api/calls': { status: 409, body: { error: 'phone exists' } },
      'GET /api/crm/customers': { status: 502, body: 'Bad Gateway', headers: { 'Content-Type': 'text/plain' } },
    })
    await expect(api.get('/api/calls')).rejects.toMatchObject({ status: 409, code: 'http_error' })
    await expect(api.get('/api/crm/customers')).rejects.toMatchObject({ status: 502, code: 'http_error' })
  })

  it('sends the user to login on 401, except for the login call itself', async () => {
    fakeApi({
      'GET /api/crm/customers': { status: 401, body: { error: 'unauthorized', code: 'unauthorized' } },
      'POST /api/auth/login': { status: 401, body: { error: 'invalid credentials', code: 'invalid_credentials' } },
    })
    const handler = vi.fn()
    setUnauthorizedHandler(handler)
    await expect(api.get('/api/crm/customers')).rejects.toMatchObject({ status: 401 })
    expect(handler).toHaveBeenCalledTimes(1)
    await expect(api.post('/api/auth/login', {}, { skipAuthRedirect: true })).rejects.toMatchObject({ code: 'invalid_credentials' })
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    await expect(api.get('/api/calls')).rejects.toMatchObject({ status: 0, code: 'network' })
  })
})
