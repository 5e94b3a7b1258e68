import { useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { Dialog } from '../../../components/Dialog'
import { Pager } from '../../../components/Pager'
import { Empty, ErrorState, Loading } from '../../../components/states'
import { useDebounced } from '../../../hooks/use-debounced'
import { formatDate, formatPhone } from '../../../lib/format'
import { he } from '../../../lib/strings'
import { useCreateCustomer } from '../api/customer-actions'
import { useCustomers } from '../api/get-customers'
import { CustomerForm } from './CustomerForm'

const LIMIT = 25

export function CustomersList({ scope, canWrite }: { scope: { business_id?: number }; canWrite: boolean }) {
  const [params, setParams] = useSearchParams()
  const [text, setText] = useState(params.get('q') ?? '')
  const q = useDebounced(text.trim(), 250)
  const page = Math.max(1, Number(params.get('page')) || 1)
  const [creating, setCreating] = useState(false)
  const navigate = useNavigate()
  const create = useCreateCustomer(scope)
  const list = useCustomers({ page: q === (params.get('q') ?? '') ? page : 1, limit: LIMIT, q: q || undefined, ...scope })

  function search(value: string) {
    setText(value)
    const next = new URLSearchParams(params)
    if (value.trim()) next.set('q', value.trim())
    else next.delete('q')
    next.delete('page')
    setParams(next, { replace: true })
  }

  function goTo(nextPage: number) {
    const next = new URLSearchParams(params)
    next.set('page', String(nextPage))
    setParams(next)
  }

  return (
    <>
      <div className="toolbar">
        <input
          type="search"
          className="search"
          aria-label={he.customers.searchLabel}
          placeholder={he.customers.searchPlaceholder}
          value={text}
          onChange={(e) => search(e.target.value)}
        />
        {list.isFetching && !list.isPending && <span className="spinner" role="status" aria-label={he.common.loading} />}
        {canWrite && (
          <button type="button" className="btn btn-primary" onClick={() => { create.reset(); setCreating(true) }}>
            {he.customers.new}
          </button>
        )}
      </div>
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{q ? he.customers.noMatch(q) : he.customers.empty}</Empty>
      ) : (
        <>
          <table className="table">
            <thead>
              <tr>
                <th>{he.customers.name}</th>
                <th>{he.customers.phone}</th>
                <th>{he.customers.email}</th>
                <th>{he.customers.source}</th>
                <th>{he.customers.createdAt}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((customer) => (
                <tr key={customer.id}>
                  <td><Link to={`/customers/${customer.id}`}>{customer.name}</Link></td>
                  <td><span dir="ltr">{formatPhone(customer.phone)}</span></td>
                  <td><span dir="ltr">{customer.email || he.common.none}</span></td>
                  <td>{he.customers.sources[customer.source] ?? customer.source}</td>
                  <td>{formatDate(customer.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row-between">
            <span className="muted">
              {list.data.totalExact ? he.common.total(list.data.total) : he.common.totalAtLeast(list.data.total)}
            </span>
            <Pager page={list.data.page} limit={list.data.limit} total={list.data.total} onPage={goTo} />
          </div>
        </>
      )}
      <Dialog title={he.customers.newTitle} open={creating} onClose={() => setCreating(false)}>
        <CustomerForm
          pending={create.isPending}
          error={create.error}
          onCancel={() => setCreating(false)}
          onSubmit={(input) => create.mutate(input, {
            onSuccess: (customer) => { setCreating(false); navigate(`/customers/${customer.id}`) },
          })}
        />
      </Dialog>
    </>
  )
}
