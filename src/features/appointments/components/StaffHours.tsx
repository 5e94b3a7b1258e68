import { useState, type FormEvent } from 'react'
import { Dialog } from '../../../components/Dialog'
import { Field, FormError, fieldError } from '../../../components/Field'
import { Empty, ErrorState, Loading } from '../../../components/states'
import { formatDate } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { StaffCalendar } from '../../../types/api'
import { useSaveStaff, useStaffCalendars, type Break, type Hours } from '../api/staff-calendars'

type Scope = { business_id?: number }
const t = he.staffHours
const days = he.appointments.dayNames
const DAY_KEYS = ['0', '1', '2', '3', '4', '5', '6']

/** "09:00–13:00, 14:00–18:00" for a day's spans, or "not working". */
export function spansText(spans: string[][] | undefined): string {
  if (!spans || spans.length === 0) return t.closed
  return spans.map(([from, to]) => `${from}–${to}`).join(', ')
}

function breakDay(day: number | null | undefined): string {
  return day === null || day === undefined ? t.everyDay : days[day]
}

/** The staff calendars: weekly hours, breaks, days off, and the iCal feed to subscribe to. */
export function StaffHours({ scope, canEdit, showFeed }: { scope: Scope; canEdit: boolean; showFeed: boolean }) {
  const query = useStaffCalendars(scope)
  const save = useSaveStaff(scope)
  const [creating, setCreating] = useState(false)
  const [name, setName] = useState('')
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  return (
    <>
      <p className="muted">{t.intro}</p>
      {canEdit ? (
        <div className="toolbar">
          <button type="button" className="btn btn-primary" onClick={() => { save.reset(); setName(''); setCreating(true) }}>{t.new}</button>
        </div>
      ) : <p className="notice">{t.readOnly}</p>}
      {query.data.length === 0 ? <Empty>{t.empty}</Empty> : query.data.map((staff) => (
        canEdit ? <StaffEditor key={staff.id} staff={staff} scope={scope} showFeed={showFeed} />
          : <StaffReadOnly key={staff.id} staff={staff} showFeed={showFeed} />
      ))}
      <Dialog title={t.new} open={creating} onClose={() => setCreating(false)}>
        <form className="form" noValidate onSubmit={(e) => {
          e.preventDefault()
          save.mutate({ input: { name: name.trim() } }, { onSuccess: () => setCreating(false) })
        }}>
          <Field label={t.newName} name="name" value={name} required maxLength={120} error={fieldError(save.error, 'name')}
            onChange={(e) => setName(e.target.value)} />
          <FormError error={save.error} shown={['name']} />
          <div className="dialog-actions">
            <button type="submit" className="btn btn-primary" disabled={save.isPending}>{save.isPending ? he.common.saving : he.common.save}</button>
            <button type="button" className="btn btn-ghost" onClick={() => setCreating(false)}>{he.common.cancel}</button>
          </div>
        </form>
      </Dialog>
    </>
  )
}

function Feed({ url }: { url: string }) {
  const [copied, setCopied] = useState(false)
  return (
    <div className="field feed">
      <span className="feed-label">{t.ical}</span>
      <div className="feed-row">
        <input readOnly value={url} dir="ltr" aria-label={t.ical} onFocus={(e) => e.target.select()} />
        <button type="button" className="btn btn-small" onClick={() => {
          void navigator.clipboard?.writeText(url).then(() => setCopied(true), () => setCopied(false))
        }}>{copied ? t.copied : t.copy}</button>
      </div>
      <span className="field-hint">{t.icalHint}</span>
    </div>
  )
}

function StaffReadOnly({ staff, showFeed }: { staff: StaffCalendar; showFeed: boolean }) {
  return (
    <section className="card staff-card" aria-label={staff.name}>
      <h2>{staff.name}{!staff.active && <span className="pill pill-off"> {t.inactive}</span>}</h2>
      <table className="hours-table">
        <caption className="visually-hidden">{t.weekly}</caption>
        <tbody>
          {DAY_KEYS.map((key) => (
            <tr key={key}><th scope="row">{days[Number(key)]}</th><td dir="ltr" className="hours-cell">{spansText(staff.hours[key])}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>{t.breaks}</h3>
      {staff.breaks.length === 0 ? <p className="muted">{t.noBreaks}</p> : (
        <ul className="plain-list compact">
          {(staff.breaks as Break[]).map((b, i) => <li key={i}>{`${breakDay(b.day)} ${b.start}–${b.end}`}</li>)}
        </ul>
      )}
      <h3>{t.daysOff}</h3>
      {staff.days_off.length === 0 ? <p className="muted">{t.noDaysOff}</p> : (
        <ul className="plain-list compact">{staff.days_off.map((d) => <li key={d}>{formatDate(`${d}T12:00:00Z`)}</li>)}</ul>
      )}
      {showFeed && <Feed url={staff.ical_url} />}
    </section>
  )
}

/** A shift after the day's last one: an hour after it ends, four hours long (the owner edits it). */
export function nextShift(spans: [string, string][]): [string, string] {
  const last = spans[spans.length - 1]
  if (!last) return ['09:00', '18:00']
  const [h, m] = last[1].split(':').map(Number)
  const start = Math.min(h + 1, 22)
  const end = Math.min(start + 4, 23)
  return [`${String(start).padStart(2, '0')}:${String(m).padStart(2, '0')}`, `${String(end).padStart(2, '0')}:${String(m).padStart(2, '0')}`]
}

/** A day may have several shifts (a split shift: 09:00–13:00 and 16:00–20:00). */
function StaffEditor({ staff, scope, showFeed }: { staff: StaffCalendar; scope: Scope; showFeed: boolean }) {
  const save = useSaveStaff(scope)
  const [name, setName] = useState(staff.name)
  const [hours, setHours] = useState<Hours>(() => Object.fromEntries(
    Object.entries(staff.hours).map(([k, v]) => [k, v.map(([a, b]) => [a, b] as [string, string])])))
  const [breaks, setBreaks] = useState<Break[]>(staff.breaks as Break[])
  const [daysOff, setDaysOff] = useState<string[]>(staff.days_off)
  const [newDayOff, setNewDayOff] = useState('')
  const [saved, setSaved] = useState(false)

  function setDay(key: string, spans: [string, string][]) {
    setSaved(false)
    setHours({ ...hours, [key]: spans })
  }

  function submit(event: FormEvent) {
    event.preventDefault()
    const cleanHours = Object.fromEntries(Object.entries(hours).filter(([, spans]) => spans.length > 0))
    save.mutate({ id: staff.id, input: { name: name.trim(), hours: cleanHours, breaks, days_off: daysOff } },
      { onSuccess: () => setSaved(true) })
  }

  return (
    <form className="card staff-card form" onSubmit={submit} noValidate aria-label={staff.name}>
      <Field label={t.name} name="name" value={name} maxLength={120} error={fieldError(save.error, 'name')}
        onChange={(e) => { setSaved(false); setName(e.target.value) }} />
      <fieldset className="checks">
        <legend>{t.weekly}</legend>
        <table className="hours-table">
          <tbody>
            {DAY_KEYS.map((key) => {
              const spans = hours[key] ?? []
              const open = spans.length > 0
              return (
                <tr key={key}>
                  <th scope="row">{days[Number(key)]}</th>
                  <td>
                    <label className="toggle">
                      <input type="checkbox" checked={open} aria-label={`${days[Number(key)]} ${t.works}`}
                        onChange={(e) => setDay(key, e.target.checked ? [['09:00', '18:00']] : [])} />
                      {open ? t.works : t.closed}
                    </label>
                  </td>
                  <td>
                    {open && (
                      <span className="shifts">
                        {spans.map(([from, to], i) => {
                          // The first shift keeps the day's plain labels; a split shift numbers the rest.
                          const label = i === 0 ? days[Number(key)] : `${days[Number(key)]} ${t.shift(i + 1)}`
                          const replace = (span: [string, string]) => spans.map((x, j) => (j === i ? span : x))
                          return (
                            <span className="time-pair" key={i}>
                              <input type="time" step={900} value={from} aria-label={`${label} ${t.from}`}
                                onChange={(e) => setDay(key, replace([e.target.value, to]))} />
                              <span aria-hidden="true">–</span>
                              <input type="time" step={900} value={to} aria-label={`${label} ${t.to}`}
                                onChange={(e) => setDay(key, replace([from, e.target.value]))} />
                              {i > 0 && (
                                <button type="button" className="btn-link" aria-label={`${t.removeShift} (${label})`}
                                  onClick={() => setDay(key, spans.filter((_, j) => j !== i))}>{t.remove}</button>
                              )}
                            </span>
                          )
                        })}
                        <button type="button" className="btn-link" aria-label={`${t.addShift} (${days[Number(key)]})`}
                          onClick={() => setDay(key, [...spans, nextShift(spans)])}>{t.addShift}</button>
                      </span>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
        {fieldError(save.error, 'hours') && <span className="field-error">{fieldError(save.error, 'hours')}</span>}
      </fieldset>
      <fieldset className="checks">
        <legend>{t.breaks}</legend>
        {breaks.length === 0 && <p className="muted">{t.noBreaks}</p>}
        {breaks.map((b, i) => (
          <div key={i} className="break-row">
            <select value={b.day ?? ''} aria-label={`${t.breaks} ${i + 1}`}
              onChange={(e) => { setSaved(false); setBreaks(breaks.map((x, j) => (j === i ? { ...x, day: e.target.value === '' ? null : Number(e.target.value) } : x))) }}>
              <option value="">{t.everyDay}</option>
              {days.map((d, n) => <option key={n} value={n}>{d}</option>)}
            </select>
            <input type="time" step={900} value={b.start} aria-label={t.from}
              onChange={(e) => { setSaved(false); setBreaks(breaks.map((x, j) => (j === i ? { ...x, start: e.target.value } : x))) }} />
            <span aria-hidden="true">–</span>
            <input type="time" step={900} value={b.end} aria-label={t.to}
              onChange={(e) => { setSaved(false); setBreaks(breaks.map((x, j) => (j === i ? { ...x, end: e.target.value } : x))) }} />
            <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => { setSaved(false); setBreaks(breaks.filter((_, j) => j !== i)) }}>
              {t.removeBreak}
            </button>
          </div>
        ))}
        <button type="button" className="btn btn-small" onClick={() => { setSaved(false); setBreaks([...breaks, { day: null, start: '13:00', end: '13:30' }]) }}>
          {t.addBreak}
        </button>
        {fieldError(save.error, 'breaks') && <span className="field-error">{fieldError(save.error, 'breaks')}</span>}
      </fieldset>
      <fieldset className="checks">
        <legend>{t.daysOff}</legend>
        {daysOff.length === 0 ? <p className="muted">{t.noDaysOff}</p> : (
          <ul className="plain-list compact">
            {daysOff.map((d) => (
              <li key={d}>
                {formatDate(`${d}T12:00:00Z`)}
                <button type="button" className="btn-link" onClick={() => { setSaved(false); setDaysOff(daysOff.filter((x) => x !== d)) }}>{t.removeDayOff}</button>
              </li>
            ))}
          </ul>
        )}
        <div className="break-row">
          <input type="date" value={newDayOff} dir="ltr" aria-label={t.addDayOff} onChange={(e) => setNewDayOff(e.target.value)} />
          <button type="button" className="btn btn-small" disabled={!newDayOff}
            onClick={() => { setSaved(false); setDaysOff([...new Set([...daysOff, newDayOff])].sort()); setNewDayOff('') }}>{t.addDayOff}</button>
        </div>
      </fieldset>
      {showFeed && <Feed url={staff.ical_url} />}
      <FormError error={save.error} shown={['name', 'hours', 'breaks']} />
      <div className="dialog-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>{save.isPending ? he.common.saving : he.common.save}</button>
        {saved && <span className="success" role="status">{t.saved}</span>}
      </div>
    </form>
  )
}
