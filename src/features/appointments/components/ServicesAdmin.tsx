import { useState, type FormEvent } from 'react'
import { ConfirmDialog, Dialog } from '../../../components/Dialog'
import { Field, FormError, fieldError } from '../../../components/Field'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { formatMoney } from '../../../lib/format'
import { errorText, he } from '../../../lib/strings'
import type { Service, StaffCalendar } from '../../../types/api'
import { useDeleteService, useSaveService, useServices, type ServiceInput } from '../api/services'
import { useStaffCalendars } from '../api/staff-calendars'
import { agorotToShekels, shekelsToAgorot } from '../calendar'

type Scope = { business_id?: number }
const t = he.services

/** The price list: prices shown in ₪ (stored in agorot); the business admin adds and edits. */
export function ServicesAdmin({ scope, canEdit }: { scope: Scope; canEdit: boolean }) {
  const query = useServices(scope)
  const staffQuery = useStaffCalendars(scope)
  const save = useSaveService(scope)
  const remove = useDeleteService(scope)
  const [editing, setEditing] = useState<Service | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Service | null>(null)
  const staff = staffQuery.data ?? []
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  const staffNames = (ids: number[]) =>
    ids.length === 0 ? t.allStaff : ids.map((id) => staff.find((s) => s.id === id)?.name).filter(Boolean).join(', ')
  return (
    <>
      <p className="muted">{t.intro}</p>
      {canEdit ? (
        <div className="toolbar">
          <button type="button" className="btn btn-primary" onClick={() => { save.reset(); setEditing('new') }}>{t.new}</button>
        </div>
      ) : <p className="notice">{t.readOnly}</p>}
      {query.data.length === 0 ? <Empty>{t.empty}</Empty> : (
        <ul className="service-list" aria-label={t.title}>
          {query.data.map((s) => (
            <li key={s.id} className={`card service-card${s.active ? '' : ' is-muted'}`}>
              <div className="row-between">
                <strong>{s.name}</strong>
                <span className="service-price">{formatMoney(s.price_agorot)}</span>
              </div>
              <p className="muted">
                {he.appointments.minutes(s.duration_minutes)}
                {s.buffer_minutes > 0 && ` · ${t.bufferShort(s.buffer_minutes)}`}
                {` · ${staffNames(s.staff_ids)}`}
              </p>
              {!s.active && <span className="pill pill-off">{t.inactive}</span>}
              {canEdit && (
                <div className="row-actions">
                  <button type="button" className="btn btn-small" onClick={() => { save.reset(); setEditing(s) }}
                    aria-label={`${he.common.edit} ${s.name}`}>{he.common.edit}</button>
                  <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => { remove.reset(); setDeleting(s) }}
                    aria-label={`${he.common.delete} ${s.name}`}>{he.common.delete}</button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <Dialog title={editing === 'new' ? t.new : t.editTitle} open={editing !== null} onClose={() => setEditing(null)}>
        {editing !== null && (
          <ServiceForm service={editing === 'new' ? null : editing} staff={staff} pending={save.isPending} error={save.error}
            onCancel={() => setEditing(null)}
            onSubmit={(input) => save.mutate({ id: editing === 'new' ? undefined : editing.id, input }, { onSuccess: () => setEditing(null) })} />
        )}
      </Dialog>
      <ConfirmDialog open={deleting !== null} title={he.common.delete} message={t.deleteConfirm(deleting?.name ?? '')}
        confirmLabel={he.common.delete} danger busy={remove.isPending} error={<InlineError error={remove.error} />}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })} />
    </>
  )
}

export function ServiceForm({ service, staff, pending, error, onSubmit, onCancel }: {
  service: Service | null
  staff: StaffCalendar[]
  pending: boolean
  error: unknown
  onSubmit: (input: ServiceInput) => void
  onCancel: () => void
}) {
  const [name, setName] = useState(service?.name ?? '')
  const [duration, setDuration] = useState(String(service?.duration_minutes ?? 30))
  const [price, setPrice] = useState(service ? agorotToShekels(service.price_agorot) : '')
  const [buffer, setBuffer] = useState(String(service?.buffer_minutes ?? 0))
  const [active, setActive] = useState(service?.active ?? true)
  const [staffIds, setStaffIds] = useState<number[]>(service?.staff_ids ?? [])
  const [priceError, setPriceError] = useState<string | undefined>()

  function submit(event: FormEvent) {
    event.preventDefault()
    const agorot = price.trim() === '' ? 0 : shekelsToAgorot(price)
    if (agorot === null) {
      setPriceError(errorText('not_number'))
      return
    }
    setPriceError(undefined)
    onSubmit({
      name: name.trim(), duration_minutes: Number(duration), price_agorot: agorot,
      buffer_minutes: Number(buffer || 0), active, staff_ids: staffIds,
    })
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <Field label={t.name} name="name" value={name} placeholder={t.namePlaceholder} required maxLength={120}
        error={fieldError(error, 'name')} onChange={(e) => setName(e.target.value)} />
      <div className="form-row">
        <Field label={t.duration} name="duration_minutes" type="number" min={5} step={5} inputMode="numeric" value={duration}
          error={fieldError(error, 'duration_minutes')} onChange={(e) => setDuration(e.target.value)} />
        <Field label={t.price} name="price" inputMode="decimal" value={price} placeholder="0"
          error={priceError ?? fieldError(error, 'price_agorot')} onChange={(e) => setPrice(e.target.value)} />
      </div>
      <Field label={t.buffer} name="buffer_minutes" type="number" min={0} step={5} inputMode="numeric" value={buffer}
        hint={t.bufferHint} error={fieldError(error, 'buffer_minutes')} onChange={(e) => setBuffer(e.target.value)} />
      <label className="toggle">
        <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
        {t.active}
      </label>
      {staff.length > 0 && (
        <fieldset className="checks">
          <legend>{t.staff}</legend>
          <p className="field-hint">{t.staffHint}</p>
          {staff.map((s) => (
            <label key={s.id} className="toggle">
              <input type="checkbox" checked={staffIds.includes(s.id)}
                onChange={(e) => setStaffIds(e.target.checked ? [...staffIds, s.id] : staffIds.filter((id) => id !== s.id))} />
              {s.name}
            </label>
          ))}
          {fieldError(error, 'staff_ids') && <span className="field-error">{fieldError(error, 'staff_ids')}</span>}
        </fieldset>
      )}
      <FormError error={error} shown={['name', 'duration_minutes', 'price_agorot', 'buffer_minutes', 'staff_ids']} />
      <div className="dialog-actions">
        <button type="submit" className="btn btn-primary" disabled={pending}>{pending ? he.common.saving : he.common.save}</button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>{he.common.cancel}</button>
      </div>
    </form>
  )
}
