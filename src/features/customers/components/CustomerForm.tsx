import { useState, type FormEvent } from 'react'
import { Field, FormError, fieldError } from '../../../components/Field'
import { formatPhone } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { Customer, CustomerInput } from '../../../types/api'

/** Create or edit a customer; the server validates and its per-field messages show here. */
export function CustomerForm({ customer, pending, error, onSubmit, onCancel }: {
  customer?: Customer
  pending: boolean
  error: unknown
  onSubmit: (input: CustomerInput) => void
  onCancel: () => void
}) {
  const [name, setName] = useState(customer?.name ?? '')
  const [phone, setPhone] = useState(customer?.phone ? formatPhone(customer.phone) : '')
  const [email, setEmail] = useState(customer?.email ?? '')
  const [notes, setNotes] = useState(customer?.notes ?? '')
  // Write-only: the server never sends it back, so empty means "leave as it is".
  const [idLast4, setIdLast4] = useState('')

  function submit(event: FormEvent) {
    event.preventDefault()
    onSubmit({
      name: name.trim(), phone: phone.trim() || null, email: email.trim() || null, notes: notes.trim() || null,
      ...(idLast4.trim() ? { id_last4: idLast4.trim() } : {}),
    })
  }

  return (
    <form onSubmit={submit} noValidate className="form">
      <Field label={he.customers.name} name="name" value={name} onChange={(e) => setName(e.target.value)}
        error={fieldError(error, 'name')} required autoFocus />
      <Field label={he.customers.phone} name="phone" type="tel" dir="ltr" inputMode="tel" placeholder="050-123-4567"
        value={phone} onChange={(e) => setPhone(e.target.value)} error={fieldError(error, 'phone')} />
      <Field label={he.customers.email} name="email" type="email" dir="ltr" value={email}
        onChange={(e) => setEmail(e.target.value)} error={fieldError(error, 'email')} />
      <Field label={he.customers.notes} name="notes" multiline value={notes}
        onChange={(e) => setNotes((e.target as unknown as HTMLTextAreaElement).value)} error={fieldError(error, 'notes')} />
      <Field label={he.customers.idLast4} name="id_last4" dir="ltr" inputMode="numeric" maxLength={4} autoComplete="off"
        className="input-short" value={idLast4} onChange={(e) => setIdLast4(e.target.value)}
        error={fieldError(error, 'id_last4')} hint={he.customers.idLast4Hint} />
      <FormError error={error} shown={['name', 'phone', 'email', 'notes', 'id_last4']} />
      <div className="dialog-actions">
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? he.common.saving : he.common.save}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          {he.common.cancel}
        </button>
      </div>
    </form>
  )
}
