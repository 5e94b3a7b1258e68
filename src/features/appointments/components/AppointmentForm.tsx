import { useId, useState, type FormEvent } from 'react'
import { Field, FormError } from '../../../components/Field'
import { Loading } from '../../../components/states'
import { useDebounced } from '../../../hooks/use-debounced'
import { formatDayMonth, formatMoney, formatPhone, formatTime, israelDay } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { Appointment, Customer, Service, Slot, StaffCalendar } from '../../../types/api'
import { useBook, useMove } from '../api/appointments'
import { useSlots } from '../api/availability'
import { useCustomerSearch } from '../api/customer-search'
import { offeredSlots, weekday } from '../calendar'

type Scope = { business_id?: number }
const t = he.appointments

/** "יום ה׳ 10.12 בשעה 10:30 אצל דנה": a slot on a button. */
export function slotLabel(slot: Slot, staff: StaffCalendar[]): string {
  const day = israelDay(slot.start)
  const name = staff.find((s) => s.id === slot.staff_id)?.name
  return t.slotAt(t.dayShort[weekday(day)], formatDayMonth(day), formatTime(slot.start), name)
}

/** The staff members who perform a service (none listed on the service: all of them). */
export function staffFor(service: Service | undefined, staff: StaffCalendar[]): StaffCalendar[] {
  const active = staff.filter((s) => s.active)
  if (!service || service.staff_ids.length === 0) return active
  return active.filter((s) => service.staff_ids.includes(s.id))
}

/** One button per free time: with "whoever is free", the first staff member free then. */
export function uniqueTimes(slots: Slot[]): Slot[] {
  const seen = new Set<string>()
  return slots.filter((slot) => (seen.has(slot.start) ? false : (seen.add(slot.start), true)))
}

/**
 * Book a new appointment, or move `moving` to another free slot. Free times come from
 * GET /api/availability; a slot taken meanwhile (409) offers the next free ones as buttons.
 */
export function AppointmentForm({ scope, services, staff, day: initialDay, staffId: initialStaff, moving, customer: fixedCustomer, today, onDone, onCancel }: {
  scope: Scope
  services: Service[]
  staff: StaffCalendar[]
  day: string
  staffId?: number
  moving?: Appointment & { customer_name?: string | null }
  customer?: { id: number; name: string }
  today: string
  onDone: (appointment: Appointment) => void
  onCancel: () => void
}) {
  const [customer, setCustomer] = useState<{ id: number; name: string } | null>(
    moving ? { id: moving.customer_id, name: moving.customer_name ?? '' } : fixedCustomer ?? null)
  const [serviceId, setServiceId] = useState<number | ''>(moving?.service_id ?? '')
  const [staffId, setStaffId] = useState<number | ''>(moving?.staff_id ?? initialStaff ?? '')
  const [day, setDay] = useState(initialDay < today ? today : initialDay)
  const [slot, setSlot] = useState<Slot | null>(null)
  const [notes, setNotes] = useState('')
  const book = useBook(scope)
  const move = useMove(scope)
  const mutation = moving ? move : book
  const active = services.filter((s) => s.active || s.id === moving?.service_id)
  const service = services.find((s) => s.id === serviceId)
  const performers = staffFor(service, staff)
  const slotsQuery = useSlots(
    serviceId ? { service_id: serviceId, from: day, to: day, staff_id: staffId || undefined } : null, scope)
  const times = staffId ? slotsQuery.data ?? [] : uniqueTimes(slotsQuery.data ?? [])
  const offered = offeredSlots(mutation.error)
  const serviceFieldId = useId()
  const staffFieldId = useId()

  function submit(chosen: Slot) {
    if (!customer || !serviceId) return
    const done = { onSuccess: onDone }
    if (moving) move.mutate({ id: moving.id, input: { start: chosen.start, staff_id: chosen.staff_id } }, done)
    else book.mutate({ customer_id: customer.id, service_id: serviceId, start: chosen.start, staff_id: chosen.staff_id,
      notes: notes.trim() || undefined }, done)
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault()
    if (slot) submit(slot)
  }

  return (
    <form className="form appointment-form" onSubmit={onSubmit} noValidate>
      {moving || fixedCustomer ? (
        <p><strong>{t.customer}:</strong> {customer?.name}</p>
      ) : (
        <CustomerPicker scope={scope} picked={customer} onPick={setCustomer} />
      )}
      <div className="field">
        <label htmlFor={serviceFieldId}>{t.service}</label>
        <select id={serviceFieldId} value={serviceId} disabled={!!moving}
          onChange={(e) => { setServiceId(e.target.value ? Number(e.target.value) : ''); setSlot(null); mutation.reset() }}>
          <option value="">{t.pickService}</option>
          {active.map((s) => (
            <option key={s.id} value={s.id}>{`${s.name} · ${t.minutes(s.duration_minutes)} · ${formatMoney(s.price_agorot)}`}</option>
          ))}
        </select>
      </div>
      <div className="form-row">
        <div className="field">
          <label htmlFor={staffFieldId}>{t.staff}</label>
          <select id={staffFieldId} value={staffId}
            onChange={(e) => { setStaffId(e.target.value ? Number(e.target.value) : ''); setSlot(null); mutation.reset() }}>
            <option value="">{t.anyStaff}</option>
            {performers.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </select>
        </div>
        <Field label={t.date} name="day" type="date" value={day} min={today} dir="ltr"
          onChange={(e) => { if (e.target.value) { setDay(e.target.value); setSlot(null); mutation.reset() } }} />
      </div>
      {serviceId !== '' && (
        <fieldset className="slots">
          <legend>{t.freeSlots}</legend>
          {slotsQuery.isPending ? <Loading /> : times.length === 0 ? (
            <p className="muted">{t.noSlots}</p>
          ) : (
            <div className="slot-buttons">
              {times.map((s) => (
                <button key={`${s.start}-${s.staff_id}`} type="button" aria-pressed={slot?.start === s.start && slot.staff_id === s.staff_id}
                  className={`btn btn-small slot${slot?.start === s.start && slot.staff_id === s.staff_id ? ' is-picked' : ''}`}
                  onClick={() => { setSlot(s); mutation.reset() }}>
                  {formatTime(s.start)}
                </button>
              ))}
            </div>
          )}
        </fieldset>
      )}
      {!moving && (
        <Field label={`${t.notes} ${he.common.optional}`} name="notes" multiline rows={2} value={notes}
          onChange={(e) => setNotes(e.target.value)} />
      )}
      {offered ? (
        <div className="form-error" role="alert">
          <p>{offered.length ? t.slotTaken : t.slotTakenNone}</p>
          <div className="slot-buttons">
            {offered.map((s) => (
              <button key={`${s.start}-${s.staff_id}`} type="button" className="btn btn-small" disabled={mutation.isPending}
                onClick={() => submit(s)}>
                {t.bookAt(slotLabel(s, staff))}
              </button>
            ))}
          </div>
        </div>
      ) : (
        <FormError error={mutation.error} shown={[]} />
      )}
      <div className="dialog-actions">
        <button type="submit" className="btn btn-primary" disabled={!customer || !serviceId || !slot || mutation.isPending}>
          {moving ? (move.isPending ? t.moving : t.move) : (book.isPending ? t.booking : t.book)}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>{he.common.cancel}</button>
      </div>
    </form>
  )
}

function CustomerPicker({ scope, picked, onPick }: {
  scope: Scope
  picked: { id: number; name: string } | null
  onPick: (customer: { id: number; name: string } | null) => void
}) {
  const [q, setQ] = useState('')
  const debounced = useDebounced(q, 250)
  const query = useCustomerSearch(debounced, scope)
  if (picked) {
    return (
      <p className="picked-customer">
        <strong>{t.customer}:</strong> {picked.name}
        <button type="button" className="btn-link" onClick={() => onPick(null)}>{t.customerChange}</button>
      </p>
    )
  }
  const results: Customer[] = query.data?.items ?? []
  return (
    <div className="customer-picker">
      <Field label={t.customer} name="customer" type="search" value={q} placeholder={t.customerSearch}
        autoComplete="off" onChange={(e) => setQ(e.target.value)} />
      {debounced.trim() && query.data && (
        results.length === 0 ? <p className="muted">{t.noCustomers}</p> : (
          <ul className="plain-list pick-list" aria-label={t.customer}>
            {results.map((c) => (
              <li key={c.id}>
                <button type="button" className="pick-item" onClick={() => onPick({ id: c.id, name: c.name })}>
                  <span>{c.name}</span> <span className="muted" dir="ltr">{formatPhone(c.phone)}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      )}
    </div>
  )
}
