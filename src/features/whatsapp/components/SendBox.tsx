import { useState, type FormEvent } from 'react'
import { fieldError } from '../../../components/Field'
import { InlineError } from '../../../components/states'
import { he } from '../../../lib/strings'
import { useSendMessage } from '../api/send-message'

const MAX = 4096

export function SendBox({ to, scope }: { to: string | null; scope: { business_id?: number } }) {
  const [text, setText] = useState('')
  const send = useSendMessage(scope)
  if (!to) return <p className="muted">{he.whatsapp.noPhone}</p>

  function submit(event: FormEvent) {
    event.preventDefault()
    if (!text.trim() || !to) return
    send.mutate({ to, text }, { onSuccess: () => setText('') })
  }

  const textError = fieldError(send.error, 'text') || fieldError(send.error, 'to')
  return (
    <form className="sendbox" onSubmit={submit}>
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
      <button type="submit" className="btn btn-primary" disabled={send.isPending || !text.trim()}>
        {send.isPending ? he.whatsapp.sending : he.whatsapp.send}
      </button>
      {textError ? <p className="form-error" role="alert">{textError}</p> : <InlineError error={send.error} />}
    </form>
  )
}
