import { he } from '../lib/strings'

export function Pager({ page, limit, total, onPage }: { page: number; limit: number; total: number; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / limit))
  if (total <= limit && page === 1) return null
  return (
    <nav className="pager" aria-label={he.common.page(page, pages)}>
      <button type="button" className="btn btn-ghost" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {he.common.previous}
      </button>
      <span>{he.common.page(page, pages)}</span>
      <button type="button" className="btn btn-ghost" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {he.common.next}
      </button>
    </nav>
  )
}
