import { cleanup } from '@testing-library/react'
import { afterEach, vi } from 'vitest'
import { setCsrfToken, setUnauthorizedHandler } from '../lib/api-client'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  setCsrfToken(null)
  setUnauthorizedHandler(null)
  window.localStorage.clear()
})
