// A fake server for component tests: routes (method + path) to JSON answers, and records
// every request so a test can assert on what the UI really sent.
import { vi } from 'vitest'

export interface Recorded {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  body: unknown
}

type Answer = { status?: number; body?: unknown; headers?: Record<string, string> }
type Handler = (request: Recorded) => Answer | undefined

export function fakeApi(routes: Record<string, Handler | Answer>) {
  const requests: Recorded[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://kesher.test')
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>))
    const method = (init.method ?? 'GET').toUpperCase()
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body ?? null
    const request: Recorded = { method, path: url.pathname, query: url.searchParams, headers, body }
    requests.push(request)
    const route = routes[`${method} ${url.pathname}`]
    const answer = typeof route === 'function' ? route(request) : route
    const status = answer?.status ?? (route ? 200 : 404)
    const payload = answer ? answer.body ?? null : { error: 'not found', code: 'not_found' }
    return new Response(payload === null ? null : JSON.stringify(payload), {
      status,
      headers: { 'Content-Type': 'application/json', ...answer?.headers },
    })
  })
  vi.stubGlobal('fetch', fetchMock)
  return { requests, fetchMock }
}

type FieldSpec = [text: string, code: string, params?: Record<string, unknown>]

/** A 422 body as the server sends it: each field's English text beside its code and parameters. */
export function validationBody(fields: Record<string, FieldSpec>) {
  const entries = Object.entries(fields)
  return {
    error: 'validation',
    code: 'validation',
    fields: Object.fromEntries(entries.map(([name, [text]]) => [name, text])),
    field_codes: Object.fromEntries(entries.map(([name, [, code, params]]) => [name, { code, params: params ?? {} }])),
  }
}
