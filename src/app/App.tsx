import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { useState } from 'react'
import { RouterProvider } from 'react-router'
import { ApiError, setUnauthorizedHandler } from '../lib/api-client'
import { meQueryKey } from '../lib/auth'
import { createAppRouter } from './router'

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: true,
        // 4xx answers will not change on retry; a network blip or a 5xx may.
        retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
    },
  })
}

export function App() {
  const [queryClient] = useState(() => {
    const client = makeQueryClient()
    // Any 401 (an expired or revoked session): forget the user; the shell sends them to /login.
    setUnauthorizedHandler(() => client.setQueryData(meQueryKey, null))
    return client
  })
  const [router] = useState(() => createAppRouter())
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  )
}
