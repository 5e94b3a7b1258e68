import { useState } from 'react'
import { useNavigate } from 'react-router'
import { ConfirmDialog, Dialog } from '../../../components/Dialog'
import { ErrorState, InlineError, Loading } from '../../../components/states'
import { formatDateTime, formatPhone } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { Customer } from '../../../types/api'
import { useDeleteCustomer, useUpdateCustomer } from '../api/customer-actions'
import { useCustomer } from '../api/get-customer'
import { CustomerForm } from './CustomerForm'

/** The customer's details, with edit and delete for those allowed to change them. */
export function CustomerCard({ customerId, scope, canWrite, children }: {
  customerId: number
  scope: { business_id?: number }
  canWrite: boolean
  children?: (customer: Customer) => React.ReactNode
}) {
  const query = useCustomer(customerId, scope)
  const update = useUpdateCustomer(scope)
  const remove = useDeleteCustomer(scope)
  const [editing, setEditing] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const navigate = useNavigate()

  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  const customer = query.data
  return (
    <>
      <header className="page-header">
        <div>
          <h1>{customer.name}</h1>
          <dl className="details">
            <dt>{he.customers.phone}</dt>
            <dd><span dir="ltr">{formatPhone(customer.phone)}</span></dd>
            <dt>{he.customers.email}</dt>
            <dd><span dir="ltr">{customer.email || he.common.none}</span></dd>
            <dt>{he.customers.source}</dt>
            <dd>{he.customers.sources[customer.source] ?? customer.source}</dd>
            <dt>{he.customers.createdAt}</dt>
            <dd>{formatDateTime(customer.created_at)}</dd>
          </dl>
          {customer.notes && <p className="notes">{customer.notes}</p>}
        </div>
        {canWrite && (
          <div className="actions">
            <button type="button" className="btn" onClick={() => { update.reset(); setEditing(true) }}>{he.common.edit}</button>
            <button type="button" className="btn btn-danger-ghost" onClick={() => { remove.reset(); setDeleting(true) }}>{he.common.delete}</button>
          </div>
        )}
      </header>
      {children?.(customer)}
      <Dialog title={he.customers.editTitle} open={editing} onClose={() => setEditing(false)}>
        <CustomerForm
          customer={customer}
          pending={update.isPending}
          error={update.error}
          onCancel={() => setEditing(false)}
          onSubmit={(input) => update.mutate({ id: customer.id, input }, { onSuccess: () => setEditing(false) })}
        />
      </Dialog>
      <ConfirmDialog
        open={deleting}
        title={he.common.delete}
        message={he.customers.deleteConfirm(customer.name)}
        confirmLabel={he.common.delete}
        danger
        busy={remove.isPending}
        error={<InlineError error={remove.error} />}
        onClose={() => setDeleting(false)}
        onConfirm={() => remove.mutate(customer.id, { onSuccess: () => navigate('/customers', { replace: true }) })}
      />
    </>
  )
}
