import { cleanup, configure } from '@testing-library/react'
import { afterEach, vi } from 'vitest'
import { setCsrfToken, setUnauthorizedHandler } from '../lib/api-client'

configure({ asyncUtilTimeout: 5000 })

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  setCsrfToken(null)
  setUnauthorizedHandler(null)
  window.localStorage.clear()
})
