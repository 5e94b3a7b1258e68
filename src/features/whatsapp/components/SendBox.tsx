import { useState, type FormEvent } from 'react'
import { fieldError } from '../../../components/Field'
import { InlineError } from '../../../components/states'
import { formatDateTime } from '../../../lib/format'
import { he } from '../../../lib/strings'
import { templateVariables, useTemplates, useWindow } from '../api/get-window'
import { useSendMedia } from '../api/send-media'
import { useSendMessage, type SendInput } from '../api/send-message'

const MAX = 4096

/**
 * Free text inside WhatsApp's 24-hour customer-service window; outside it (with a real
 * transport) an approved template. The development transport is always shown for what
 * it is: messages are stored, not delivered.
 */
export function SendBox({ to, customerId, scope }: { to: string | null; customerId?: number; scope: { business_id?: number } }) {
  const [text, setText] = useState('')
  const [templateName, setTemplateName] = useState('')
  const [variables, setVariables] = useState<Record<string, string>>({})
  const send = useSendMessage(scope)
  const sendFile = useSendMedia(scope)
  const windowState = useWindow(customerId)
  const state = windowState.data
  const templatesOnly = !!state && state.enforced && !state.open
  const templates = useTemplates(scope, templatesOnly)
  if (!to) return <p className="muted">{he.whatsapp.noPhone}</p>
  const template = templates.data?.find((t) => t.name === templateName)

  function submit(event: FormEvent) {
    event.preventDefault()
    if (!to) return
    let input: SendInput
    if (templatesOnly) {
      if (!template) return
      input = { to, template: template.name, variables }
    } else {
      if (!text.trim()) return
      input = { to, text }
    }
    send.mutate(input, { onSuccess: () => { setText(''); setVariables({}) } })
  }

  const textError = fieldError(send.error, 'text') || fieldError(send.error, 'to') || fieldError(send.error, 'template')
  return (
    <form className="sendbox" onSubmit={submit}>
      {state && (
        <p className="window-state" data-open={state.open}>
          {state.provider === 'dev' && <span className="flag">{he.whatsapp.devTransportNotice}</span>}{' '}
          {state.open && state.until ? he.whatsapp.windowOpen(formatDateTime(state.until))
            : state.enforced ? he.whatsapp.windowClosed : null}
        </p>
      )}
      {templatesOnly ? (
        <div className="template-picker">
          <label htmlFor="wa-template">{he.whatsapp.template}</label>
          <select id="wa-template" value={templateName} onChange={(e) => { setTemplateName(e.target.value); setVariables({}) }}>
            <option value="">{he.whatsapp.pickTemplate}</option>
            {templates.data?.map((t) => <option key={t.id} value={t.name}>{t.name}</option>)}
          </select>
          {template && <p className="template-body">{template.body}</p>}
          {template && templateVariables(template.body).map((name) => (
            <input key={name} aria-label={`{{${name}}}`} placeholder={`{{${name}}}`} value={variables[name] ?? ''}
              onChange={(e) => setVariables({ ...variables, [name]: e.target.value })} />
          ))}
          {templates.data && templates.data.length === 0 && <p className="muted">{he.whatsapp.noTemplates}</p>}
        </div>
      ) : (
        <>
          <label className="visually-hidden" htmlFor="wa-text">{he.whatsapp.sendLabel}</label>
          <textarea
            id="wa-text"
            value={text}
            maxLength={MAX}
            rows={2}
            placeholder={he.whatsapp.sendPlaceholder}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) submit(e)
            }}
          />
        </>
      )}
      {!templatesOnly && (
        <label className="btn attach" title={he.whatsapp.media.attachHint}>
          <span aria-hidden="true">📎</span>
          <span className="visually-hidden">{he.whatsapp.media.attach}</span>
          <input type="file" className="visually-hidden" accept=".jpg,.jpeg,.png,.pdf,.doc,.docx,.xlsx,.pptx"
            aria-label={he.whatsapp.media.attach} disabled={sendFile.isPending}
            onChange={(e) => {
              const file = e.target.files?.[0]
              e.target.value = ''
              if (!file || !to) return
              // The text typed so far goes with the file as its caption.
              sendFile.mutate({ to, file, caption: text.trim() || undefined }, { onSuccess: () => setText('') })
            }} />
        </label>
      )}
      <button type="submit" className="btn btn-primary" disabled={send.isPending || (templatesOnly ? !template : !text.trim())}>
        {send.isPending ? he.whatsapp.sending : he.whatsapp.send}
      </button>
      {textError ? <p className="form-error" role="alert">{textError}</p> : <InlineError error={send.error} />}
      {fieldError(sendFile.error, 'file') ? <p className="form-error" role="alert">{fieldError(sendFile.error, 'file')}</p>
        : <InlineError error={sendFile.error} />}
    </form>
  )
}
