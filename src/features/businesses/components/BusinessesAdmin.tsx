import { useState, type FormEvent } from 'react'
import { ConfirmDialog, Dialog } from '../../../components/Dialog'
import { Field, FormError, fieldError } from '../../../components/Field'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { can, useUser } from '../../../lib/auth'
import { formatDate, formatPhone } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { Business, BusinessInput } from '../../../types/api'
import {
  useCreateBusiness, useDeactivateBusiness, useDeleteBusiness, useReactivateBusiness, useUpdateBusiness,
} from '../api/business-actions'
import { useBusinesses } from '../api/get-businesses'

type Pending = { kind: 'deactivate' | 'delete'; business: Business } | null

export function BusinessesAdmin() {
  const list = useBusinesses()
  const create = useCreateBusiness()
  const update = useUpdateBusiness()
  const deactivate = useDeactivateBusiness()
  const reactivate = useReactivateBusiness()
  const remove = useDeleteBusiness()
  const [editing, setEditing] = useState<Business | 'new' | null>(null)
  const [confirming, setConfirming] = useState<Pending>(null)

  const form = editing === 'new' ? create : update
  return (
    <>
      <div className="toolbar">
        <button type="button" className="btn btn-primary" onClick={() => { create.reset(); setEditing('new') }}>{he.businesses.new}</button>
      </div>
      <InlineError error={reactivate.error} />
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <Empty>{he.businesses.empty}</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{he.businesses.name}</th>
              <th>{he.businesses.domain}</th>
              <th>{he.businesses.voiceNumber}</th>
              <th>{he.businesses.whatsappNumber}</th>
              <th>{he.businesses.status}</th>
              <th>{he.customers.createdAt}</th>
              <th><span className="visually-hidden">{he.common.edit}</span></th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((b) => (
              <tr key={b.id} className={b.active ? '' : 'is-muted'}>
                <td>{b.name}</td>
                <td><span dir="ltr">{b.domain || he.common.none}</span></td>
                <td><span dir="ltr">{formatPhone(b.voice_number)}</span></td>
                <td><span dir="ltr">{formatPhone(b.whatsapp_number)}</span></td>
                <td><span className={`pill ${b.active ? 'pill-ok' : 'pill-off'}`}>{b.active ? he.businesses.active : he.businesses.inactive}</span></td>
                <td>{formatDate(b.created_at)}</td>
                <td className="row-actions">
                  <button type="button" className="btn btn-small" onClick={() => { update.reset(); setEditing(b) }}>{he.common.edit}</button>
                  {b.active ? (
                    <button type="button" className="btn btn-small" onClick={() => { deactivate.reset(); setConfirming({ kind: 'deactivate', business: b }) }}>
                      {he.businesses.deactivate}
                    </button>
                  ) : (
                    <button type="button" className="btn btn-small" disabled={reactivate.isPending} onClick={() => reactivate.mutate(b.id)}>
                      {he.businesses.reactivate}
                    </button>
                  )}
                  <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => { remove.reset(); setConfirming({ kind: 'delete', business: b }) }}>
                    {he.common.delete}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Dialog title={editing === 'new' ? he.businesses.new : he.businesses.editTitle} open={editing !== null} onClose={() => setEditing(null)}>
        {editing !== null && (
          <BusinessForm
            business={editing === 'new' ? undefined : editing}
            pending={form.isPending}
            error={form.error}
            onCancel={() => setEditing(null)}
            onSubmit={(input) => {
              const done = { onSuccess: () => setEditing(null) }
              if (editing === 'new') create.mutate(input, done)
              else update.mutate({ id: editing.id, input }, done)
            }}
          />
        )}
      </Dialog>
      <ConfirmDialog
        open={confirming !== null}
        title={confirming?.kind === 'delete' ? he.common.delete : he.businesses.deactivate}
        message={confirming ? (confirming.kind === 'delete' ? he.businesses.deleteConfirm : he.businesses.deactivateConfirm)(confirming.business.name) : ''}
        confirmLabel={confirming?.kind === 'delete' ? he.common.delete : he.businesses.deactivate}
        danger
        busy={deactivate.isPending || remove.isPending}
        error={<InlineError error={confirming?.kind === 'delete' ? remove.error : deactivate.error} />}
        onClose={() => setConfirming(null)}
        onConfirm={() => {
          if (!confirming) return
          const action = confirming.kind === 'delete' ? remove : deactivate
          action.mutate(confirming.business.id, { onSuccess: () => setConfirming(null) })
        }}
      />
    </>
  )
}

function BusinessForm({ business, pending, error, onSubmit, onCancel }: {
  business?: Business
  pending: boolean
  error: unknown
  onSubmit: (input: BusinessInput) => void
  onCancel: () => void
}) {
  const [name, setName] = useState(business?.name ?? '')
  const [domain, setDomain] = useState(business?.domain ?? '')
  const [voice, setVoice] = useState(business?.voice_number ? formatPhone(business.voice_number) : '')
  const [whatsapp, setWhatsapp] = useState(business?.whatsapp_number ? formatPhone(business.whatsapp_number) : '')
  const nameError = fieldError(error, 'name')
  // A number routes a provider's calls and messages to this business: only the platform admin
  // assigns one (the server refuses a business admin's change with 403); shown, not editable.
  const { data: user } = useUser()
  const numbersLocked = !can.platform(user)
  const numberHint = numbersLocked ? he.businesses.numberAssignedHint : he.businesses.numberHint
  function submit(event: FormEvent) {
    event.preventDefault()
    onSubmit({
      name: name.trim(), domain: domain.trim() || null,
      ...(numbersLocked ? {} : { voice_number: voice.trim() || null, whatsapp_number: whatsapp.trim() || null }),
    })
  }
  return (
    <form className="form" onSubmit={submit} noValidate>
      <Field label={he.businesses.name} name="name" value={name} onChange={(e) => setName(e.target.value)} error={nameError} autoFocus />
      <Field label={he.businesses.domain} name="domain" dir="ltr" value={domain} onChange={(e) => setDomain(e.target.value)}
        error={fieldError(error, 'domain')} />
      <Field label={he.businesses.voiceNumber} name="voice_number" type="tel" dir="ltr" placeholder="03-555-0000" value={voice}
        readOnly={numbersLocked} onChange={(e) => setVoice(e.target.value)} error={fieldError(error, 'voice_number')} hint={numberHint} />
      <Field label={he.businesses.whatsappNumber} name="whatsapp_number" type="tel" dir="ltr" value={whatsapp}
        readOnly={numbersLocked} onChange={(e) => setWhatsapp(e.target.value)} error={fieldError(error, 'whatsapp_number')} hint={numberHint} />
      <FormError error={error} shown={['name', 'domain', 'voice_number', 'whatsapp_number']} />
      <div className="dialog-actions">
        <button type="submit" className="btn btn-primary" disabled={pending}>{pending ? he.common.saving : he.common.save}</button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>{he.common.cancel}</button>
      </div>
    </form>
  )
}
