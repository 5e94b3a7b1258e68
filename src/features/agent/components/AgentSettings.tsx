import { Fragment, useState, type FormEvent, type ReactNode } from 'react'
import { Field, fieldError } from '../../../components/Field'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { ApiError } from '../../../lib/api-client'
import { formatPhone } from '../../../lib/format'
import { he } from '../../../lib/strings'
import {
  DAYS, PROTECTED_KINDS, PROVIDER_CHOICES, PROVIDER_KINDS, useAgentSettings, useSaveAgentSettings,
  type AgentSettings as Settings, type AgentSettingsUpdate, type Day, type Hours, type ProtectedKind, type ProviderKind,
} from '../api/agent-settings'

const t = he.agentSettings
type Scope = { business_id?: number }

/**
 * The phone agent's settings of one business: a form for its admin, a read-only summary for
 * everyone else (the server answers GET to every role of the business and PUT to admins only).
 */
export function AgentSettings({ scope, canEdit }: { scope: Scope; canEdit: boolean }) {
  const query = useAgentSettings(scope)
  const save = useSaveAgentSettings(scope)
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  const data = query.data
  return (
    <>
      <p className="muted">{t.intro}</p>
      {Object.keys(data.stored).length === 0 && <Empty>{t.empty}</Empty>}
      {canEdit ? (
        // A new form after each save: its "unchanged" values are what the server now holds.
        <AgentSettingsForm key={JSON.stringify(data)} data={data} save={save} />
      ) : (
        <>
          <p className="notice">{t.readOnly}</p>
          <AgentSettingsView data={data} />
        </>
      )}
    </>
  )
}

// ---- the form's values ----------------------------------------------------------------------

type DayHours = { open: boolean; from: string; to: string }
type HoursMode = 'none' | 'text' | 'days'

interface FormState {
  greeting: string
  recording_notice: boolean
  recording_notice_text: string
  agent_name: string
  agent_instructions: string
  turn_limit: string
  hoursMode: HoursMode
  hoursText: string
  days: Record<Day, DayHours>
  transfer_number: string
  transfer_timeout: string
  providers: Record<ProviderKind, string>
  caller_verification: Record<ProtectedKind, boolean>
}

/** A typical Israeli week, offered when an admin first switches to day-by-day hours. */
function defaultWeek(): Record<Day, DayHours> {
  const week = {} as Record<Day, DayHours>
  for (const day of DAYS) week[day] = { open: day !== 'fri' && day !== 'sat', from: '09:00', to: '17:00' }
  return week
}

function weekFrom(hours: Hours | null): Record<Day, DayHours> {
  if (!hours || typeof hours === 'string') return defaultWeek()
  const week = {} as Record<Day, DayHours>
  for (const day of DAYS) {
    const span = hours[day]
    const [from, to] = span ? span.split('-').map((s) => s.trim().padStart(5, '0')) : ['09:00', '17:00']
    week[day] = { open: !!span, from, to }
  }
  return week
}

function fromServer({ settings, stored }: Settings): FormState {
  const hours = settings.hours
  return {
    greeting: settings.greeting ?? '',
    recording_notice: settings.recording_notice !== false,
    recording_notice_text: typeof settings.recording_notice === 'string' ? settings.recording_notice : settings.recording_notice_text ?? '',
    agent_name: settings.agent_name ?? '',
    agent_instructions: settings.agent_instructions ?? '',
    turn_limit: String(settings.turn_limit ?? ''),
    hoursMode: !hours ? 'none' : typeof hours === 'string' ? 'text' : 'days',
    hoursText: typeof hours === 'string' ? hours : '',
    days: weekFrom(hours),
    transfer_number: settings.transfer_number ? formatPhone(settings.transfer_number) : '',
    transfer_timeout: String(settings.transfer_timeout ?? ''),
    providers: { asr: stored.providers?.asr ?? '', reply: stored.providers?.reply ?? '', tts: stored.providers?.tts ?? '' },
    // Older servers send none: money (invoices, contracts) protected, tasks not — the server's defaults.
    caller_verification: { invoices: true, contracts: true, tasks: false, ...settings.caller_verification },
  }
}

const text = (value: string) => value.trim() || null
/** A whole number, or what was typed (the server explains why it is wrong); empty: the default. */
const whole = (value: string) => (value.trim() === '' ? null : /^-?\d+$/.test(value.trim()) ? Number(value) : value.trim())

/** The API's keys and values a form state stands for. */
function toValues(form: FormState): AgentSettingsUpdate {
  let hours: Hours | null = null
  if (form.hoursMode === 'text') hours = text(form.hoursText)
  if (form.hoursMode === 'days') {
    hours = Object.fromEntries(DAYS.map((d) => [d, form.days[d].open ? `${form.days[d].from}-${form.days[d].to}` : null]))
  }
  const providers = Object.fromEntries(PROVIDER_KINDS.filter((k) => form.providers[k]).map((k) => [k, form.providers[k]]))
  return {
    greeting: text(form.greeting),
    recording_notice: form.recording_notice,
    recording_notice_text: text(form.recording_notice_text),
    agent_name: text(form.agent_name),
    agent_instructions: text(form.agent_instructions),
    turn_limit: whole(form.turn_limit),
    hours,
    transfer_number: text(form.transfer_number),
    transfer_timeout: whole(form.transfer_timeout),
    // The server replaces the whole choice, so it goes whole; none chosen: the deployment's.
    providers: Object.keys(providers).length ? providers : null,
    caller_verification: { ...form.caller_verification },
  }
}

/** Only what the admin changed. */
export function changedKeys(initial: FormState, current: FormState, stored: Settings['stored']): AgentSettingsUpdate {
  const before = toValues(initial)
  const after = toValues(current)
  const update: AgentSettingsUpdate = {}
  for (const key of Object.keys(after) as (keyof AgentSettingsUpdate)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) update[key] = after[key]
  }
  // A notice stored as text (through the businesses API) outranks recording_notice_text.
  if ('recording_notice_text' in update && typeof stored.recording_notice === 'string') update.recording_notice = after.recording_notice
  return update
}

// ---- the admin's form ------------------------------------------------------------------------

type Save = ReturnType<typeof useSaveAgentSettings>

/** Which form field shows a server message: the API answers "settings.<key>[.<part>]" (or "<key>"). */
const FIELD_OF: [RegExp, string][] = [
  [/^(settings\.)?hours(\.(\w+))?$/, 'hours'],
  [/^(settings\.)?providers(\.(\w+))?$/, 'providers'],
  [/^(settings\.)?caller_verification(\.(\w+))?$/, 'caller_verification'],
]
const FORM_KEYS = ['greeting', 'recording_notice', 'recording_notice_text', 'agent_name', 'agent_instructions', 'turn_limit',
  'transfer_number', 'transfer_timeout']

function unplaced(error: unknown): string[] {
  if (!(error instanceof ApiError)) return []
  return Object.keys(error.fields).filter((key) => {
    const bare = key.replace(/^settings\./, '')
    if (FORM_KEYS.includes(bare)) return false
    return !FIELD_OF.some(([pattern]) => pattern.test(key))
  })
}

function AgentSettingsForm({ data, save }: { data: Settings; save: Save }) {
  const [initial] = useState(() => fromServer(data))
  const [form, setForm] = useState(initial)
  const [nothingToSave, setNothingToSave] = useState(false)
  const error = save.error
  const err = (key: string) => fieldError(error, `settings.${key}`) ?? fieldError(error, key)

  function set<K extends keyof FormState>(key: K, value: FormState[K]) {
    setForm((f) => ({ ...f, [key]: value }))
    setNothingToSave(false)
    if (save.isSuccess) save.reset()
  }
  function setDay(day: Day, patch: Partial<DayHours>) {
    set('days', { ...form.days, [day]: { ...form.days[day], ...patch } })
  }

  function submit(event: FormEvent) {
    event.preventDefault()
    const update = changedKeys(initial, form, data.stored)
    if (Object.keys(update).length === 0) {
      setNothingToSave(true)
      return
    }
    save.mutate(update)
  }

  const hasFields = error instanceof ApiError && Object.keys(error.fields).length > 0
  const others = unplaced(error)
  return (
    <form className="form settings-form" onSubmit={submit} noValidate aria-label={t.title}>
      <fieldset className="card">
        <legend>{t.sectionCall}</legend>
        <Field label={t.greeting} name="greeting" multiline rows={2} value={form.greeting} maxLength={1000}
          onChange={(e) => set('greeting', e.target.value)} error={err('greeting')} hint={t.greetingHint} />
        <Toggle label={t.recordingNotice} checked={form.recording_notice} onChange={(v) => set('recording_notice', v)}
          error={err('recording_notice')} />
        <Field label={t.recordingNoticeText} name="recording_notice_text" multiline rows={2} value={form.recording_notice_text}
          maxLength={1000} onChange={(e) => set('recording_notice_text', e.target.value)} error={err('recording_notice_text')} />
      </fieldset>

      <fieldset className="card">
        <legend>{t.sectionVerification}</legend>
        <p className="muted">{t.verificationIntro}</p>
        {PROTECTED_KINDS.map((kind) => (
          <Toggle key={kind} label={t.verificationToggle(t.verificationKinds[kind])} checked={form.caller_verification[kind]}
            onChange={(v) => set('caller_verification', { ...form.caller_verification, [kind]: v })}
            error={kind === PROTECTED_KINDS[0] ? err('caller_verification') : undefined} />
        ))}
      </fieldset>

      <fieldset className="card">
        <legend>{t.sectionAgent}</legend>
        <Field label={t.agentName} name="agent_name" value={form.agent_name} maxLength={80}
          onChange={(e) => set('agent_name', e.target.value)} error={err('agent_name')} />
        <Field label={t.agentInstructions} name="agent_instructions" multiline rows={6} value={form.agent_instructions}
          maxLength={8000} onChange={(e) => set('agent_instructions', e.target.value)} error={err('agent_instructions')}
          hint={t.instructionsHint} />
        <Field label={t.turnLimit} name="turn_limit" type="number" min={1} max={50} step={1} dir="ltr" className="input-short"
          value={form.turn_limit} onChange={(e) => set('turn_limit', e.target.value)} error={err('turn_limit')} hint={t.turnLimitHint} />
      </fieldset>

      <fieldset className="card">
        <legend>{t.sectionHours}</legend>
        <HoursEditor form={form} set={set} setDay={setDay} err={err} />
      </fieldset>

      <fieldset className="card">
        <legend>{t.sectionTransfer}</legend>
        <Field label={t.transferNumber} name="transfer_number" type="tel" dir="ltr" placeholder="050-123-4567"
          value={form.transfer_number} onChange={(e) => set('transfer_number', e.target.value)} error={err('transfer_number')}
          hint={t.transferNumberHint} />
        <Field label={t.transferTimeout} name="transfer_timeout" type="number" min={5} max={60} step={1} dir="ltr"
          className="input-short" value={form.transfer_timeout} onChange={(e) => set('transfer_timeout', e.target.value)}
          error={err('transfer_timeout')} hint={t.transferTimeoutHint} />
      </fieldset>

      <fieldset className="card">
        <legend>{t.sectionProviders}</legend>
        {PROVIDER_KINDS.map((kind) => {
          const message = err(`providers.${kind}`)
          return (
            <div key={kind} className={`field${message ? ' field-invalid' : ''}`}>
              <label htmlFor={`provider-${kind}`}>{t.providers[kind]}</label>
              <select id={`provider-${kind}`} name={`providers.${kind}`} value={form.providers[kind]}
                aria-invalid={!!message} onChange={(e) => set('providers', { ...form.providers, [kind]: e.target.value })}>
                <option value="">
                  {data.stored.providers?.[kind] ? t.providerDefault : t.providerDefaultIs(providerName(data.settings.providers[kind]))}
                </option>
                {PROVIDER_CHOICES[kind].map((name) => <option key={name} value={name}>{providerName(name)}</option>)}
              </select>
              {message && <span className="field-error">{message}</span>}
            </div>
          )
        })}
        {err('providers') && <span className="field-error">{err('providers')}</span>}
      </fieldset>

      {hasFields ? (
        <div className="form-error" role="alert">
          <p>{he.errors.fixFields}</p>
          {others.length > 0 && (
            <ul>
              {others.map((key) => <li key={key}><span dir="ltr">{key}</span>: {fieldError(error, key)}</li>)}
            </ul>
          )}
        </div>
      ) : (
        <InlineError error={error} />
      )}
      {save.isSuccess && <p className="success" role="status">{t.saved}</p>}
      {nothingToSave && <p className="muted" role="status">{t.noChanges}</p>}
      <div className="dialog-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {save.isPending ? he.common.saving : he.common.save}
        </button>
      </div>
    </form>
  )
}

function Toggle({ label, checked, onChange, error }: { label: string; checked: boolean; onChange: (v: boolean) => void; error?: string }) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label className="toggle">
        <input type="checkbox" role="switch" checked={checked} onChange={(e) => onChange(e.target.checked)} aria-invalid={!!error} />
        <span>{label}</span>
        <span className="muted">({checked ? t.on : t.off})</span>
      </label>
      {error && <span className="field-error">{error}</span>}
    </div>
  )
}

function HoursEditor({ form, set, setDay, err }: {
  form: FormState
  set: <K extends keyof FormState>(key: K, value: FormState[K]) => void
  setDay: (day: Day, patch: Partial<DayHours>) => void
  err: (key: string) => string | undefined
}) {
  const modes: [HoursMode, string][] = [['none', t.hoursNone], ['text', t.hoursText], ['days', t.hoursDays]]
  return (
    <>
      <div className="segmented" role="radiogroup" aria-label={t.hoursMode}>
        {modes.map(([mode, label]) => (
          <label key={mode}>
            <input type="radio" name="hours-mode" value={mode} checked={form.hoursMode === mode} onChange={() => set('hoursMode', mode)} />
            {label}
          </label>
        ))}
      </div>
      {form.hoursMode === 'text' && (
        <Field label={t.hoursTextLabel} name="hours" value={form.hoursText} maxLength={1000}
          onChange={(e) => set('hoursText', e.target.value)} error={err('hours')} hint={t.hoursTextHint} />
      )}
      {form.hoursMode === 'days' && (
        <>
          <table className="hours-table">
            <tbody>
              {DAYS.map((day) => {
                const d = form.days[day]
                const message = err(`hours.${day}`)
                const name = t.days[day]
                return (
                  <tr key={day} className={message ? 'field-invalid' : ''}>
                    <th scope="row">{name}</th>
                    <td>
                      <label className="toggle">
                        <input type="checkbox" checked={d.open} onChange={(e) => setDay(day, { open: e.target.checked })}
                          aria-label={`${name} — ${t.open}`} />
                        {d.open ? t.open : t.closed}
                      </label>
                    </td>
                    <td>
                      <input type="time" dir="ltr" aria-label={`${name} — ${t.from}`} value={d.from} disabled={!d.open}
                        onChange={(e) => setDay(day, { from: e.target.value })} />
                    </td>
                    <td>
                      <input type="time" dir="ltr" aria-label={`${name} — ${t.to}`} value={d.to} disabled={!d.open}
                        onChange={(e) => setDay(day, { to: e.target.value })} />
                    </td>
                    <td>{message && <span className="field-error">{message}</span>}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
          {err('hours') && <span className="field-error">{err('hours')}</span>}
        </>
      )}
    </>
  )
}

// ---- everyone else: the same settings, read only --------------------------------------------

function providerName(name: string | undefined) {
  // The deployment's default may be a provider no business can choose: shown by its name.
  return name ? (t.providerNames as Record<string, string>)[name] ?? name : he.common.none
}

function hoursSummary(hours: Hours | null): ReactNode {
  if (!hours) return t.notSet
  if (typeof hours === 'string') return hours
  return (
    <ul className="plain-list compact">
      {DAYS.map((day) => (
        <li key={day}>
          {t.days[day]}: {hours[day] ? <span dir="ltr">{hours[day]}</span> : t.closed}
        </li>
      ))}
    </ul>
  )
}

export function AgentSettingsView({ data }: { data: Settings }) {
  const s = data.settings
  const notice = s.recording_notice === false ? t.off : typeof s.recording_notice === 'string' ? s.recording_notice : s.recording_notice_text
  const rows: [string, ReactNode][] = [
    [t.greeting, s.greeting || t.notSet],
    [t.recordingNotice, notice],
    [t.agentName, s.agent_name || t.notSet],
    [t.agentInstructions, s.agent_instructions ? <span className="pre-wrap">{s.agent_instructions}</span> : t.notSet],
    [t.turnLimit, s.turn_limit],
    [t.sectionHours, hoursSummary(s.hours)],
    [t.transferNumber, s.transfer_number ? <span dir="ltr">{formatPhone(s.transfer_number)}</span> : t.notSet],
    [t.transferTimeout, t.seconds(s.transfer_timeout)],
    ...PROVIDER_KINDS.map((kind): [string, ReactNode] => [t.providers[kind], providerName(s.providers?.[kind])]),
    [t.sectionVerification, PROTECTED_KINDS.filter((k) => s.caller_verification?.[k] ?? k !== 'tasks')
      .map((k) => t.verificationKinds[k]).join(', ') || t.off],
  ]
  return (
    <dl className="details card" aria-label={t.title}>
      {rows.map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  )
}
