import { useState, type FormEvent } from 'react'
import { Field, fieldError } from '../../../components/Field'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { he } from '../../../lib/strings'
import type { CampaignFilter } from '../../../types/api'
import { useCampaign, useCampaigns, usePreview, useSendCampaign, useTemplates } from '../api/campaigns'

type Scope = { business_id?: number }
const t = he.campaigns

/** Campaigns: compose (template, filter, preview count, send) and the list with each recipient's status. */
export function Campaigns({ scope, canEdit }: { scope: Scope; canEdit: boolean }) {
  return (
    <>
      <p className="muted">{t.intro}</p>
      {canEdit ? <Compose scope={scope} /> : <p className="notice">{t.readOnly}</p>}
      <CampaignList scope={scope} />
    </>
  )
}

function placeholders(body: string | undefined): string[] {
  return [...new Set([...(body ?? '').matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]))]
}

function Compose({ scope }: { scope: Scope }) {
  const templates = useTemplates(scope)
  const preview = usePreview(scope)
  const send = useSendCampaign(scope)
  const [name, setName] = useState('')
  const [template, setTemplate] = useState('')
  const [variables, setVariables] = useState<Record<string, string>>({})
  const [tag, setTag] = useState('')
  const [after, setAfter] = useState('')
  const [before, setBefore] = useState('')
  const [upcoming, setUpcoming] = useState<'' | 'yes' | 'no'>('')
  const chosen = templates.data?.find((row) => row.name === template)
  const keys = placeholders(chosen?.body)
  const filters = (): CampaignFilter => ({
    ...(tag.trim() ? { tag: tag.trim() } : {}),
    ...(after ? { last_contact_after: after } : {}),
    ...(before ? { last_contact_before: before } : {}),
    ...(upcoming ? { upcoming_appointment: upcoming === 'yes' } : {}),
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    send.mutate({ name: name.trim(), template, variables: Object.fromEntries(keys.map((k) => [k, variables[k] ?? ''])),
      filters: filters() }, { onSuccess: () => preview.reset() })
  }
  return (
    <section className="card" aria-labelledby="campaign-compose">
      <h2 id="campaign-compose">{t.compose}</h2>
      <form className="form" onSubmit={submit}>
        <Field label={t.name} name="name" value={name} maxLength={160} onChange={(e) => setName(e.target.value)}
          error={fieldError(send.error, 'name')} />
        <div className="field">
          <label htmlFor="campaign-template">{t.template}</label>
          <select id="campaign-template" name="template" value={template} onChange={(e) => setTemplate(e.target.value)}>
            <option value="">{t.pickTemplate}</option>
            {templates.data?.map((row) => <option key={row.id} value={row.name}>{row.name}</option>)}
          </select>
          {templates.data?.length === 0 && <small className="muted">{t.noTemplates}</small>}
          {fieldError(send.error, 'template') && <small className="field-error">{fieldError(send.error, 'template')}</small>}
        </div>
        {chosen && <p className="pre-wrap muted">{chosen.body}</p>}
        {keys.map((key) => (
          <Field key={key} label={t.variable(key)} name={`var-${key}`} value={variables[key] ?? ''}
            onChange={(e) => setVariables({ ...variables, [key]: e.target.value })} error={fieldError(send.error, 'variables')} />
        ))}
        <Field label={t.tag} name="tag" value={tag} maxLength={64} onChange={(e) => setTag(e.target.value)} />
        <Field label={t.lastContactAfter} name="after" type="date" value={after} onChange={(e) => setAfter(e.target.value)} />
        <Field label={t.lastContactBefore} name="before" type="date" value={before} onChange={(e) => setBefore(e.target.value)} />
        <div className="field">
          <label htmlFor="campaign-upcoming">{t.upcoming}</label>
          <select id="campaign-upcoming" value={upcoming} onChange={(e) => setUpcoming(e.target.value as '' | 'yes' | 'no')}>
            <option value="">{t.upcomingAny}</option>
            <option value="yes">{t.upcomingYes}</option>
            <option value="no">{t.upcomingNo}</option>
          </select>
        </div>
        <div className="actions">
          <button type="button" className="btn" disabled={preview.isPending} onClick={() => preview.mutate(filters())}>{t.preview}</button>
          <button type="submit" className="btn btn-primary"
            disabled={send.isPending || !name.trim() || !template || !preview.data || preview.data.count === 0}>{t.send}</button>
        </div>
        {preview.data && <p role="status">{t.previewCount(preview.data.count, preview.data.opted_out)}</p>}
        {send.isSuccess && <p role="status">{t.sent}</p>}
      </form>
      {preview.error ? <InlineError error={preview.error} /> : null}
      {send.error && !fieldError(send.error, 'template') && !fieldError(send.error, 'name') ? <InlineError error={send.error} /> : null}
    </section>
  )
}

function CampaignList({ scope }: { scope: Scope }) {
  const { data, isPending, error, refetch } = useCampaigns(scope)
  const [open, setOpen] = useState<number | null>(null)
  return (
    <section className="card" aria-labelledby="campaign-list">
      <h2 id="campaign-list">{t.list}</h2>
      {isPending ? <Loading /> : error ? <ErrorState error={error} onRetry={refetch} /> : data.length === 0 ? <Empty>{t.none}</Empty> : (
        <ul className="list">
          {data.map((campaign) => (
            <li key={campaign.id}>
              <strong>{campaign.name}</strong>{' '}
              <span className="chip">{t.campaignStatus[campaign.status] ?? campaign.status}</span>
              <p className="muted">{t.counts(campaign.counts)}</p>
              <button type="button" className="btn btn-ghost" aria-expanded={open === campaign.id}
                onClick={() => setOpen(open === campaign.id ? null : campaign.id)}>{t.show}</button>
              {open === campaign.id && <Recipients scope={scope} id={campaign.id} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function Recipients({ scope, id }: { scope: Scope; id: number }) {
  const { data, isPending, error } = useCampaign(scope, id)
  if (isPending) return <Loading />
  if (error) return <InlineError error={error} />
  return (
    <ul className="list" aria-label={t.recipients}>
      {data.recipients.map((r) => (
        <li key={r.id}>
          <span>{r.customer_name ?? '—'}</span>{' '}
          <span className="chip">{t.status[r.status] ?? r.status}</span>
          {r.error && <small className="muted"> {r.error}</small>}
        </li>
      ))}
    </ul>
  )
}
