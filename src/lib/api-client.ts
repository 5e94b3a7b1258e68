// The one HTTP client: same-origin cookies, the CSRF header on unsafe calls, JSON errors
// turned into ApiError (the server's error code, and each field's code), and 401 → the login page.
// Errors are told apart by their `code` (server/error_codes.py), never by their English text.

/** Field name → the server's English text (for logs and tests; people read `fieldCodes`). */
export type FieldErrors = Record<string, string>
export interface FieldCode {
  code: string
  params: Record<string, unknown>
}
export type FieldCodes = Record<string, FieldCode>

interface ErrorBody {
  error?: string
  code?: string
  fields?: FieldErrors
  field_codes?: FieldCodes
}

export class ApiError extends Error {
  readonly status: number
  /** The server's error code; 'network' when no answer came, 'http_error' when the answer had none. */
  readonly code: string
  readonly fields: FieldErrors
  readonly fieldCodes: FieldCodes
  readonly body: unknown

  constructor(status: number, code: string, fields: FieldErrors = {}, body: unknown = null, fieldCodes: FieldCodes = {}) {
    super(code)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields
    this.fieldCodes = fieldCodes
    this.body = body
  }

  /** The field's code, for every field the server named (`invalid` when it sent none). */
  fieldCode(name: string): FieldCode | undefined {
    if (this.fieldCodes[name]) return this.fieldCodes[name]
    return Object.hasOwn(this.fields, name) ? { code: 'invalid', params: {} } : undefined
  }
}

type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  headers?: Record<string, string>
  /** The login call answers 401 for bad credentials: that is not an expired session. */
  skipAuthRedirect?: boolean
  signal?: AbortSignal
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// Logging in needs no token (it creates the session the token belongs to).
const CSRF_EXEMPT = new Set(['/api/auth/login'])
let csrfToken: string | null = null
let onUnauthorized: (() => void) | null = null

export function setCsrfToken(token: string | null) {
  csrfToken = token
}

export function setUnauthorizedHandler(handler: (() => void) | null) {
  onUnauthorized = handler
}

export function buildUrl(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    params.set(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path
}

async function fetchCsrfToken(): Promise<string | null> {
  const response = await fetch('/api/auth/csrf', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
  if (!response.ok) return null
  const data = (await response.json()) as { csrf_token?: string }
  csrfToken = data.csrf_token ?? null
  return csrfToken
}

async function parse(response: Response): Promise<unknown> {
  if (response.status === 204) return null
  const type = response.headers.get('Content-Type') || ''
  if (type.includes('application/json')) return response.json()
  return response.text()
}

async function send(method: string, path: string, options: RequestOptions, retried: boolean): Promise<unknown> {
  return (await sendFull(method, path, options, retried)).data
}

async function sendFull(method: string, path: string, options: RequestOptions, retried: boolean): Promise<{ data: unknown; headers: Headers }> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
  let body: BodyInit | undefined
  if (options.body instanceof FormData) {
    body = options.body
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  if (UNSAFE.has(method) && !CSRF_EXEMPT.has(path)) {
    if (!csrfToken) await fetchCsrfToken()
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken
  }
  let response: Response
  try {
    response = await fetch(buildUrl(path, options.query), {
      method, headers, body, credentials: 'same-origin', signal: options.signal,
    })
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    throw new ApiError(0, 'network')
  }
  const data = await parse(response)
  if (response.ok) return { data, headers: response.headers }
  const payload = (data && typeof data === 'object' ? data : {}) as ErrorBody
  const code = payload.code || 'http_error'
  if (response.status === 403 && code === 'csrf' && !retried) {
    // The token went stale (a new session in another tab): fetch the current one, retry once.
    csrfToken = null
    return sendFull(method, path, options, true)
  }
  if (response.status === 401 && !options.skipAuthRedirect) {
    csrfToken = null
    onUnauthorized?.()
  }
  throw new ApiError(response.status, code, payload.fields || {}, data, payload.field_codes || {})
}

export const api = {
  /** A read whose response headers matter (e.g. X-Next-Cursor). */
  getWithHeaders: async <T>(path: string, options: RequestOptions = {}) =>
    (await sendFull('GET', path, options, false)) as { data: T; headers: Headers },
  get: <T>(path: string, options: RequestOptions = {}) => send('GET', path, options, false) as Promise<T>,
  post: <T>(path: string, body?: unknown, options: RequestOptions = {}) =>
    send('POST', path, { ...options, body }, false) as Promise<T>,
  put: <T>(path: string, body?: unknown, options: RequestOptions = {}) =>
    send('PUT', path, { ...options, body }, false) as Promise<T>,
  patch: <T>(path: string, body?: unknown, options: RequestOptions = {}) =>
    send('PATCH', path, { ...options, body }, false) as Promise<T>,
  delete: <T>(path: string, options: RequestOptions = {}) => send('DELETE', path, options, false) as Promise<T>,
}
