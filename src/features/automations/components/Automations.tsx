import { useEffect, useState, type FormEvent } from 'react'
import { Field, fieldError } from '../../../components/Field'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { he } from '../../../lib/strings'
import type { AutomationsOut } from '../../../types/api'
import { useAutomations, useSaveAutomations } from '../api/automations'

type Scope = { business_id?: number }
type Kind = 'missed_call' | 'away_message'
const t = he.automations

/** The business's automations: a switch and an editable Hebrew text for each, and the latest firings. */
export function Automations({ scope, canEdit }: { scope: Scope; canEdit: boolean }) {
  const { data, isPending, error, refetch } = useAutomations(scope)
  if (isPending) return <Loading />
  if (error) return <ErrorState error={error} onRetry={refetch} />
  return (
    <>
      <p className="muted">{t.intro}</p>
      {!canEdit && <p className="notice">{t.readOnly}</p>}
      <AutomationCard scope={scope} data={data} kind="missed_call" canEdit={canEdit} />
      <AutomationCard scope={scope} data={data} kind="away_message" canEdit={canEdit} />
      <section className="card" aria-labelledby="automations-recent">
        <h2 id="automations-recent">{t.recent}</h2>
        {data.recent.length === 0 ? <Empty>{t.noRecent}</Empty> : (
          <ul className="list">
            {data.recent.map((run) => (
              <li key={run.id}>
                <span>{t.kinds[run.kind] ?? run.kind}</span>{' · '}
                <span className="chip">{t.runStatus[run.status] ?? run.status}</span>
                {run.reason && <small className="muted"> {run.reason}</small>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  )
}

function AutomationCard({ scope, data, kind, canEdit }: { scope: Scope; data: AutomationsOut; kind: Kind; canEdit: boolean }) {
  const current = data.settings[kind]!
  const save = useSaveAutomations(scope)
  const [text, setText] = useState(current.text ?? '')
  useEffect(() => setText(current.text ?? ''), [current.text])
  const title = kind === 'missed_call' ? t.missedCall : t.awayMessage
  const hint = kind === 'missed_call' ? t.missedCallHint : t.awayMessageHint
  const submit = (event: FormEvent) => {
    event.preventDefault()
    save.mutate({ [kind]: { text } })
  }
  return (
    <section className="card" aria-labelledby={`automation-${kind}`}>
      <h2 id={`automation-${kind}`}>{title}</h2>
      <p className="muted">{hint}</p>
      <label className="switch">
        <input type="checkbox" role="switch" checked={!!current.enabled} disabled={!canEdit || save.isPending}
          onChange={(e) => save.mutate({ [kind]: { enabled: e.target.checked } })} />
        {' '}{t.enabled}
      </label>
      <form className="form" onSubmit={submit}>
        <Field label={t.text} name={`${kind}-text`} multiline rows={3} value={text} maxLength={1000}
          readOnly={!canEdit} onChange={(e) => setText(e.target.value)} error={fieldError(save.error, `${kind}.text`)} />
        {kind === 'missed_call' && (
          <p className="muted">{t.template(data.missed_call_template.exists, data.missed_call_template.twilio_content_sid)}</p>
        )}
        {canEdit && <button type="submit" className="btn btn-primary" disabled={save.isPending || !text.trim()}>{t.save}</button>}
        {save.isSuccess && <span role="status" className="muted"> {t.saved}</span>}
      </form>
      {save.error && !fieldError(save.error, `${kind}.text`) ? <InlineError error={save.error} /> : null}
    </section>
  )
}
