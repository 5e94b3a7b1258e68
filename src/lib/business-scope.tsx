// Which business the screens show. Staff, viewers and business admins are pinned to their
// own; a platform admin picks one (kept in localStorage) and it travels as ?business_id=.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react'
import { can, type User } from './auth'

interface Scope {
  businessId: number | null
  setBusinessId: (id: number | null) => void
  /** Query parameters that select the business for scoped endpoints. */
  params: { business_id?: number }
}

const ScopeContext = createContext<Scope>({ businessId: null, setBusinessId: () => {}, params: {} })
const STORAGE_KEY = 'kesher.business_id'

function stored(): number | null {
  try {
    const value = Number(window.localStorage.getItem(STORAGE_KEY))
    return Number.isInteger(value) && value > 0 ? value : null
  } catch {
    return null
  }
}

export function BusinessScopeProvider({ user, children }: { user: User; children: ReactNode }) {
  const [chosen, setChosen] = useState<number | null>(() => (can.platform(user) ? stored() : null))
  const setBusinessId = useCallback((id: number | null) => {
    setChosen(id)
    try {
      if (id) window.localStorage.setItem(STORAGE_KEY, String(id))
      else window.localStorage.removeItem(STORAGE_KEY)
    } catch {
      /* private mode: the choice lasts for this page only */
    }
  }, [])
  const businessId = can.platform(user) ? chosen : user.business_id
  const value = useMemo<Scope>(
    () => ({ businessId, setBusinessId, params: businessId ? { business_id: businessId } : {} }),
    [businessId, setBusinessId],
  )
  return <ScopeContext.Provider value={value}>{children}</ScopeContext.Provider>
}

export function useBusinessScope() {
  return useContext(ScopeContext)
}
