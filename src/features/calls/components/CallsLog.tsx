import { useState } from 'react'
import { Link } from 'react-router'
import { Pager } from '../../../components/Pager'
import { Empty, ErrorState, Loading } from '../../../components/states'
import { formatDateTime, formatPhone } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { Call } from '../../../types/api'
import { useCalls } from '../api/get-calls'

const LIMIT = 25

/** The knowledge entry or document the agent answered from, kept on the turn's tool calls. */
export function answeredFrom(toolCalls: unknown[] | undefined): string | null {
  for (const call of [...(toolCalls ?? [])].reverse()) {
    if (!call || typeof call !== 'object') continue
    const { name, result } = call as { name?: unknown; result?: unknown }
    const source = name === 'search_knowledge' && result && typeof result === 'object' ? (result as { source?: unknown }).source : null
    if (source && typeof source === 'object' && typeof (source as { title?: unknown }).title === 'string') return (source as { title: string }).title
  }
  return null
}

export function CallsLog({ scope }: { scope: { business_id?: number } }) {
  const [page, setPage] = useState(1)
  const [open, setOpen] = useState<number | null>(null)
  const query = useCalls({ page, limit: LIMIT, ...scope })
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  if (query.data.items.length === 0) return <Empty>{he.calls.empty}</Empty>
  return (
    <>
      <table className="table">
        <thead>
          <tr>
            <th>{he.calls.started}</th>
            <th>{he.calls.from}</th>
            <th>{he.calls.status}</th>
            <th>{he.calls.duration}</th>
            <th>{he.calls.summary}</th>
          </tr>
        </thead>
        <tbody>
          {query.data.items.map((call) => (
            <CallRow key={call.id} call={call} open={open === call.id} onToggle={() => setOpen(open === call.id ? null : call.id)} />
          ))}
        </tbody>
      </table>
      <Pager page={query.data.page} limit={query.data.limit} total={query.data.total} onPage={setPage} />
    </>
  )
}

function CallRow({ call, open, onToggle }: { call: Call; open: boolean; onToggle: () => void }) {
  const turns = call.turns ?? []
  return (
    <>
      <tr>
        <td>{formatDateTime(call.started_at)}</td>
        <td>
          {call.customer_id ? (
            <Link to={`/customers/${call.customer_id}`}>{call.customer_name || <span dir="ltr">{formatPhone(call.from)}</span>}</Link>
          ) : (
            <span dir="ltr">{formatPhone(call.from)}</span>
          )}
        </td>
        <td>{he.calls.statuses[call.status] ?? call.status}</td>
        <td>{call.duration_seconds ? `${Math.floor(call.duration_seconds / 60)}:${String(call.duration_seconds % 60).padStart(2, '0')}` : he.common.none}</td>
        <td>
          {call.summary || he.common.none}
          {turns.length > 0 && (
            <button type="button" className="btn btn-link" aria-expanded={open} onClick={onToggle}>
              {he.calls.turns} ({turns.length})
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr className="subrow">
          <td colSpan={5}>
            {call.recording && <audio controls preload="none" src={call.recording} aria-label={he.timeline.recording} />}
            {turns.map((turn) => (
              <div key={turn.index} className="turn">
                <p><strong>{he.timeline.caller}:</strong> {turn.transcript || he.timeline.noTranscript}</p>
                {turn.reply && <p><strong>{he.timeline.agent}:</strong> {turn.reply}</p>}
                {answeredFrom(turn.tool_calls) && <p className="muted">{he.calls.answeredFrom(answeredFrom(turn.tool_calls) as string)}</p>}
                {turn.audio_url && <audio controls preload="none" src={turn.audio_url} />}
              </div>
            ))}
          </td>
        </tr>
      )}
    </>
  )
}
