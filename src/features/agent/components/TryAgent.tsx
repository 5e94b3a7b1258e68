import { useRef, useState, type FormEvent } from 'react'
import { Field, fieldError } from '../../../components/Field'
import { InlineError } from '../../../components/states'
import { ApiError } from '../../../lib/api-client'
import { he } from '../../../lib/strings'
import { useTryAgent, type AgentInput } from '../api/try-agent'

export function TryAgent({ scope }: { scope: { business_id?: number } }) {
  const [text, setText] = useState('מה הסטטוס של ההזמנה שלי?')
  const [from, setFrom] = useState('')
  const [recording, setRecording] = useState(false)
  const [micError, setMicError] = useState(false)
  const recorder = useRef<MediaRecorder | null>(null)
  const agent = useTryAgent(scope)

  function ask(input: AgentInput) {
    agent.mutate(input)
  }

  function submit(event: FormEvent) {
    event.preventDefault()
    if (text.trim()) ask({ text: text.trim(), from: from.trim() || undefined })
  }

  async function toggleRecording() {
    if (recording) {
      recorder.current?.stop()
      return
    }
    setMicError(false)
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true })
      const chunks: Blob[] = []
      const rec = new MediaRecorder(stream)
      rec.ondataavailable = (e) => chunks.push(e.data)
      rec.onstop = () => {
        stream.getTracks().forEach((t) => t.stop())
        setRecording(false)
        ask({ audio: new Blob(chunks, { type: rec.mimeType || 'audio/webm' }), from: from.trim() || undefined })
      }
      recorder.current = rec
      rec.start()
      setRecording(true)
    } catch {
      setMicError(true)
    }
  }

  const unavailable = agent.error instanceof ApiError && (agent.error.status === 404 || agent.error.status === 405)
  const result = agent.data
  const timings = result?.latencies ?? result?.timings
  return (
    <div className="agent">
      <p className="muted">{he.agent.intro}</p>
      <form className="form" onSubmit={submit}>
        <Field label={he.agent.text} name="text" value={text} onChange={(e) => setText(e.target.value)} error={fieldError(agent.error, 'text')} />
        <Field label={he.agent.from} name="from" type="tel" dir="ltr" placeholder="050-123-4567" value={from}
          onChange={(e) => setFrom(e.target.value)} error={fieldError(agent.error, 'from')} hint={he.common.optional} />
        <div className="dialog-actions">
          <button type="submit" className="btn btn-primary" disabled={agent.isPending}>{he.agent.send}</button>
          {typeof MediaRecorder !== 'undefined' && (
            <button type="button" className={`btn${recording ? ' btn-danger' : ''}`} onClick={() => void toggleRecording()} disabled={agent.isPending}>
              {recording ? he.agent.stop : he.agent.record}
            </button>
          )}
        </div>
      </form>
      {micError && <p className="form-error">{he.agent.micDenied}</p>}
      {agent.isPending && <p role="status">{he.agent.thinking}</p>}
      {unavailable ? <p className="notice">{he.agent.unavailable}</p> : <InlineError error={agent.error} />}
      {result && (
        <section className="card agent-result" aria-live="polite">
          {result.transcript && <p><strong>{he.agent.transcript}:</strong> {result.transcript}</p>}
          <p data-testid="agent-reply"><strong>{he.agent.reply}:</strong> {result.reply}</p>
          {result.audio_url && <audio controls autoPlay src={result.audio_url} />}
          {timings && (
            <p className="muted" dir="ltr">
              {Object.entries(timings).map(([stage, ms]) => `${stage}: ${Math.round(ms)} ms`).join(' · ')}
            </p>
          )}
          {result.fallbacks && result.fallbacks.length > 0 && (
            <p className="flag">{he.timeline.fallback}: {result.fallbacks.map((f) => f.stage).join(', ')}</p>
          )}
        </section>
      )}
    </div>
  )
}
