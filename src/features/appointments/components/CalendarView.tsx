import { useEffect, useId, useState } from 'react'
import { Link } from 'react-router'
import { ConfirmDialog, Dialog } from '../../../components/Dialog'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { useMediaQuery } from '../../../hooks/use-media-query'
import { formatDate, formatDayMonth, formatMoney, formatTime, israelDay } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { Appointment, Service, StaffCalendar } from '../../../types/api'
import { useAppointments, useCancel, useMove } from '../api/appointments'
import { useServices } from '../api/services'
import { useStaffCalendars } from '../api/staff-calendars'
import {
  addDays, assignLanes, blockPosition, clock, gridHours, israelToday, nowPosition, onDay, visibleDays, weekday,
} from '../calendar'
import { AppointmentForm } from './AppointmentForm'

type Scope = { business_id?: number }
type Listed = Appointment & { customer_name?: string | null }
type View = 'day' | 'week'
const t = he.appointments
const HOUR_PX = 56

function useNow(): Date {
  const [now, setNow] = useState(() => new Date())
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 60_000)
    return () => clearInterval(timer)
  }, [])
  return now
}

export function dayTitle(day: string): string {
  return `${t.dayOf(t.dayNames[weekday(day)])}, ${formatDate(`${day}T12:00:00Z`)}`
}

export function rangeTitle(days: string[]): string {
  if (days.length === 1) return dayTitle(days[0])
  return t.timeRange(formatDayMonth(days[0]), formatDate(`${days[days.length - 1]}T12:00:00Z`))
}

/**
 * The appointments calendar: a day or a week (Sunday to Shabbat, right to left), all staff or
 * one, a line at "now" on today. On a phone it is a list of cards, one day under another.
 */
export function CalendarView({ scope, canWrite }: { scope: Scope; canWrite: boolean }) {
  const phone = useMediaQuery('(max-width: 720px)')
  const now = useNow()
  const today = israelToday(now)
  const [view, setView] = useState<View>('week')
  const [anchor, setAnchor] = useState(today)
  const [staffId, setStaffId] = useState<number | ''>('')
  const [creating, setCreating] = useState(false)
  const [selected, setSelected] = useState<Listed | null>(null)
  const [moving, setMoving] = useState<Listed | null>(null)
  const staffFieldId = useId()

  const shownView: View = phone ? 'day' : view
  const days = visibleDays(anchor, shownView)
  const servicesQuery = useServices(scope)
  const staffQuery = useStaffCalendars(scope)
  const query = useAppointments({ from: days[0], to: days[days.length - 1], staff_id: staffId || undefined }, scope)

  const services = servicesQuery.data ?? []
  const staff = staffQuery.data ?? []
  const items = (query.data ?? []).filter((a) => a.status !== 'cancelled')
  const step = shownView === 'day' ? 1 : 7

  return (
    <div className="calendar">
      <div className="toolbar cal-toolbar">
        {!phone && (
          <div className="segmented-buttons" role="group" aria-label={t.view}>
            {(['day', 'week'] as const).map((v) => (
              <button key={v} type="button" className={`btn btn-small${view === v ? ' is-on' : ''}`} aria-pressed={view === v}
                onClick={() => setView(v)}>
                {t[v]}
              </button>
            ))}
          </div>
        )}
        <div className="cal-nav">
          <button type="button" className="btn btn-small" aria-label={shownView === 'day' ? t.previousDay : t.previousWeek}
            onClick={() => setAnchor(addDays(anchor, -step))}>→</button>
          <button type="button" className="btn btn-small" onClick={() => setAnchor(today)} disabled={days.includes(today)}>{t.today}</button>
          <button type="button" className="btn btn-small" aria-label={shownView === 'day' ? t.nextDay : t.nextWeek}
            onClick={() => setAnchor(addDays(anchor, step))}>←</button>
        </div>
        <h2 className="cal-title" aria-live="polite">{rangeTitle(days)}</h2>
        <label className="cal-staff" htmlFor={staffFieldId}>
          <span className="visually-hidden">{t.staff}</span>
          <select id={staffFieldId} aria-label={t.staff} value={staffId} onChange={(e) => setStaffId(e.target.value ? Number(e.target.value) : '')}>
            <option value="">{t.allStaff}</option>
            {staff.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </select>
        </label>
        {canWrite && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}
            disabled={services.length === 0 || staff.length === 0}>
            {t.new}
          </button>
        )}
      </div>
      {staffQuery.data && staff.length === 0 && <p className="notice">{t.noCalendars}</p>}
      {servicesQuery.data && services.length === 0 && <p className="notice">{t.noServices}</p>}
      {query.isPending ? <Loading /> : query.error ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : phone ? (
        <Agenda days={days} items={items} services={services} staff={staff} today={today} now={now} onOpen={setSelected} />
      ) : (
        <TimeGrid days={days} view={shownView} items={items} services={services}
          staff={staffId ? staff.filter((s) => s.id === staffId) : staff} today={today} now={now} onOpen={setSelected} />
      )}

      <Dialog title={t.newTitle} open={creating} onClose={() => setCreating(false)}>
        <AppointmentForm scope={scope} services={services} staff={staff} day={anchor} staffId={staffId || undefined}
          today={today} onCancel={() => setCreating(false)}
          onDone={(a) => { setCreating(false); if (a.start) setAnchor(israelDay(a.start)) }} />
      </Dialog>
      <Dialog title={t.moveTitle} open={moving !== null} onClose={() => setMoving(null)}>
        {moving && (
          <AppointmentForm scope={scope} services={services} staff={staff} moving={moving}
            day={moving.start ? israelDay(moving.start) : anchor} today={today} onCancel={() => setMoving(null)}
            onDone={(a) => { setMoving(null); if (a.start) setAnchor(israelDay(a.start)) }} />
        )}
      </Dialog>
      {selected && (
        <AppointmentDetails appointment={selected} scope={scope} services={services} staff={staff} canWrite={canWrite}
          now={now} onClose={() => setSelected(null)}
          onMove={() => { setMoving(selected); setSelected(null) }} />
      )}
    </div>
  )
}

interface Column {
  key: string
  label: string
  day: string
  items: Listed[]
}

function TimeGrid({ days, view, items, services, staff, today, now, onOpen }: {
  days: string[]
  view: View
  items: Listed[]
  services: Service[]
  staff: StaffCalendar[]
  today: string
  now: Date
  onOpen: (a: Listed) => void
}) {
  // A day is drawn with a column per staff member; a week with a column per day.
  const columns: Column[] = view === 'day' && staff.length > 0
    ? staff.map((s) => ({ key: `staff-${s.id}`, label: s.name, day: days[0], items: onDay(items, days[0]).filter((a) => a.staff_id === s.id) }))
    : days.map((day) => ({ key: day, label: `${t.dayNames[weekday(day)]} ${formatDayMonth(day)}`, day, items: onDay(items, day) }))
  const grid = gridHours(items, days)
  const hours = Array.from({ length: (grid.to - grid.from) / 60 }, (_, i) => grid.from + i * 60)
  const nowAt = days.includes(today) ? nowPosition(now, grid) : null
  const height = hours.length * HOUR_PX
  return (
    <div className="cal-grid" style={{ ['--cal-cols' as string]: columns.length }}>
      <div className="cal-head">
        <span />
        {columns.map((c) => (
          <span key={c.key} className={`cal-col-head${c.day === today && view === 'week' ? ' is-today' : ''}`}>{c.label}</span>
        ))}
      </div>
      <div className="cal-body" style={{ blockSize: `${height}px` }}>
        <div className="cal-hours" aria-hidden="true">
          {hours.map((h) => <span key={h} style={{ blockSize: `${HOUR_PX}px` }}>{clock(h)}</span>)}
        </div>
        {columns.map((c) => (
          <div key={c.key} className={`cal-col${c.day === today ? ' is-today' : ''}`} role="list" aria-label={c.label}
            style={{ backgroundSize: `100% ${HOUR_PX}px` }}>
            {assignLanes(c.items).map(({ item, lane, lanes }) => {
              const { top, height: h } = blockPosition(item, grid)
              return (
                <div key={item.id} role="listitem" className="cal-block-slot" style={{
                  insetBlockStart: `${top}%`, blockSize: `${h}%`,
                  insetInlineStart: `${(lane / lanes) * 100}%`, inlineSize: `${100 / lanes}%`,
                }}>
                  <AppointmentButton appointment={item} services={services} staff={view === 'week' ? staff : []} onOpen={onOpen} compact />
                </div>
              )
            })}
            {c.day === today && nowAt !== null && (
              <div className="cal-now" style={{ insetBlockStart: `${nowAt}%` }} role="img" aria-label={`${t.now} ${formatTime(now)}`} />
            )}
          </div>
        ))}
      </div>
    </div>
  )
}

function Agenda({ days, items, services, staff, today, now, onOpen }: {
  days: string[]
  items: Listed[]
  services: Service[]
  staff: StaffCalendar[]
  today: string
  now: Date
  onOpen: (a: Listed) => void
}) {
  return (
    <div className="agenda">
      {days.map((day) => {
        const dayItems = onDay(items, day)
        const nowIndex = day === today ? dayItems.findIndex((a) => new Date(a.start!) > now) : -1
        return (
          <section key={day} aria-label={dayTitle(day)}>
            {days.length > 1 && <h3>{dayTitle(day)}</h3>}
            {dayItems.length === 0 ? <Empty>{t.empty}</Empty> : (
              <ol className="agenda-list" role="list">
                {dayItems.map((a, i) => (
                  <li key={a.id}>
                    {i === nowIndex && <div className="agenda-now" role="img" aria-label={`${t.now} ${formatTime(now)}`} />}
                    <AppointmentButton appointment={a} services={services} staff={staff} onOpen={onOpen} />
                  </li>
                ))}
              </ol>
            )}
          </section>
        )
      })}
    </div>
  )
}

function AppointmentButton({ appointment: a, services, staff, onOpen, compact }: {
  appointment: Listed
  services: Service[]
  staff: StaffCalendar[]
  onOpen: (a: Listed) => void
  compact?: boolean
}) {
  const service = services.find((s) => s.id === a.service_id)
  const staffName = staff.find((s) => s.id === a.staff_id)?.name
  return (
    <button type="button" className={`appt appt-${a.status}${compact ? ' appt-compact' : ''}`} onClick={() => onOpen(a)}
      data-testid="appointment" title={[a.customer_name, service?.name, staffName].filter(Boolean).join(' · ')}>
      <span className="appt-time">{t.timeRange(formatTime(a.start), formatTime(a.end))}</span>
      <span className="appt-customer">{a.customer_name ?? he.common.none}</span>
      <span className="appt-service">{service?.name}{staffName ? ` · ${staffName}` : ''}</span>
      {a.status !== 'booked' && <span className="appt-status">{t.statuses[a.status] ?? a.status}</span>}
    </button>
  )
}

function AppointmentDetails({ appointment: a, scope, services, staff, canWrite, now, onClose, onMove }: {
  appointment: Listed
  scope: Scope
  services: Service[]
  staff: StaffCalendar[]
  canWrite: boolean
  now: Date
  onClose: () => void
  onMove: () => void
}) {
  const cancel = useCancel(scope)
  const status = useMove(scope)
  const [confirming, setConfirming] = useState(false)
  const service = services.find((s) => s.id === a.service_id)
  const staffName = staff.find((s) => s.id === a.staff_id)?.name
  const when = `${dayTitle(israelDay(a.start!))} ${formatTime(a.start)}`
  const open = a.status !== 'cancelled'
  const started = a.start !== null && new Date(a.start) <= now
  return (
    <>
      <Dialog title={t.detailsTitle} open={!confirming} onClose={onClose}>
        <dl className="details">
          <dt>{t.customer}</dt>
          <dd><Link to={`/customers/${a.customer_id}`}>{a.customer_name ?? t.openCustomer}</Link></dd>
          <dt>{t.service}</dt>
          <dd>{service ? `${service.name} · ${formatMoney(service.price_agorot)}` : he.common.none}</dd>
          <dt>{t.staff}</dt>
          <dd>{staffName ?? he.common.none}</dd>
          <dt>{t.time}</dt>
          <dd>{`${dayTitle(israelDay(a.start!))} ${t.timeRange(formatTime(a.start), formatTime(a.end))}`}</dd>
          <dt>{he.calls.status}</dt>
          <dd>{`${t.statuses[a.status] ?? a.status} ${t.sources[a.source] ?? ''}`}</dd>
          {a.notes && <><dt>{t.notes}</dt><dd className="pre-wrap">{a.notes}</dd></>}
        </dl>
        <InlineError error={status.error} />
        {canWrite && open && (
          <div className="dialog-actions wrap">
            <button type="button" className="btn btn-primary" onClick={onMove}>{t.move}</button>
            <button type="button" className="btn btn-danger-ghost" onClick={() => { cancel.reset(); setConfirming(true) }}>{t.cancelAppointment}</button>
            {started && a.status !== 'done' && (
              <button type="button" className="btn" disabled={status.isPending}
                onClick={() => status.mutate({ id: a.id, input: { status: 'done' } }, { onSuccess: onClose })}>{t.markDone}</button>
            )}
            {started && a.status !== 'no_show' && (
              <button type="button" className="btn" disabled={status.isPending}
                onClick={() => status.mutate({ id: a.id, input: { status: 'no_show' } }, { onSuccess: onClose })}>{t.markNoShow}</button>
            )}
          </div>
        )}
      </Dialog>
      <ConfirmDialog open={confirming} title={t.cancelAppointment} message={t.cancelConfirm(a.customer_name ?? '', when)}
        confirmLabel={t.cancelAppointment} cancelLabel={t.keep} danger busy={cancel.isPending} error={<InlineError error={cancel.error} />}
        onClose={() => setConfirming(false)}
        onConfirm={() => cancel.mutate(a.id, { onSuccess: onClose })} />
    </>
  )
}
