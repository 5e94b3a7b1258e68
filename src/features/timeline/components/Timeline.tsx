import { MessageMediaList, messageText } from '../../../components/MessageMedia'
import { DeliveryTicks } from '../../../components/DeliveryTicks'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { formatDateTime, formatMoney, formatTime } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { AppointmentOnTimeline, Call, Contract, Invoice, Task, TimelineItem, WhatsAppMessage } from '../../../types/api'
import { useTimeline } from '../api/get-timeline'
import { useUpdateTask } from '../api/task-actions'

export function Timeline({ customerId, scope, canWrite }: { customerId: number; scope: { business_id?: number }; canWrite: boolean }) {
  const query = useTimeline(customerId, scope)
  const update = useUpdateTask(customerId, scope)
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  const items = query.data.pages.flatMap((page) => page.items)
  if (items.length === 0) return <Empty>{he.timeline.empty}</Empty>
  return (
    <>
      <TimelineList items={items} onTaskDone={canWrite ? (id) => update.mutate({ id, input: { status: 'done' } }) : undefined} />
      <InlineError error={update.error} />
      {query.hasNextPage && (
        <button type="button" className="btn btn-ghost" disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
          {query.isFetchingNextPage ? he.common.loading : he.timeline.loadMore}
        </button>
      )}
    </>
  )
}

export function TimelineList({ items, onTaskDone }: { items: TimelineItem[]; onTaskDone?: (taskId: number) => void }) {
  return (
    <ol className="timeline" aria-label={he.timeline.title}>
      {items.map((item) => (
        <li key={`${item.type}-${item.data.id}`} className={`tl-item tl-${item.type}`} data-type={item.type}>
          <div className="tl-meta">
            <span className={`badge badge-${item.type}`}>{he.timeline.types[item.type] ?? item.type}</span>
            <time dateTime={item.at ?? undefined}>{item.at ? formatDateTime(item.at) : he.timeline.undated}</time>
          </div>
          <TimelineBody item={item} onTaskDone={onTaskDone} />
        </li>
      ))}
    </ol>
  )
}

function TimelineBody({ item, onTaskDone }: { item: TimelineItem; onTaskDone?: (taskId: number) => void }) {
  switch (item.type) {
    case 'call':
      return <CallBody call={item.data} />
    case 'whatsapp':
      return <MessageBubble message={item.data} />
    case 'task':
      return <TaskBody task={item.data} onDone={onTaskDone} />
    case 'invoice':
      return <InvoiceBody invoice={item.data} />
    case 'contract':
      return <ContractBody contract={item.data} />
    case 'appointment':
      return <AppointmentBody appointment={item.data} />
    default:
      return null
  }
}

function CallBody({ call }: { call: Call }) {
  return (
    <div className="tl-body">
      <p>
        {he.calls.statuses[call.status] ?? call.status}
        {call.duration_seconds ? ` · ${he.timeline.duration(call.duration_seconds)}` : ''}
        {call.intent ? ` · ${he.calls.intents[call.intent] ?? call.intent}` : ''}
      </p>
      {call.summary && <p><strong>{he.timeline.summary}:</strong> {call.summary}</p>}
      {call.recording && (
        <audio controls preload="none" src={call.recording} aria-label={he.timeline.recording} />
      )}
      {call.turns && call.turns.length > 0 && (
        <div className="transcript">
          {call.turns.map((turn) => (
            <div key={turn.index} className="turn">
              <p className="turn-caller"><strong>{he.timeline.caller}:</strong> {turn.transcript || he.timeline.noTranscript}</p>
              {turn.reply && <p className="turn-agent"><strong>{he.timeline.agent}:</strong> {turn.reply}</p>}
              {turn.audio_url && <audio controls preload="none" src={turn.audio_url} />}
              {turn.fallbacks && turn.fallbacks.length > 0 && (
                <p className="flag">{he.timeline.fallback}: {turn.fallbacks.map((f) => f.stage).join(', ')}</p>
              )}
            </div>
          ))}
        </div>
      )}
    </div>
  )
}

export function MessageBubble({ message }: { message: WhatsAppMessage }) {
  const flags = message.flags || {}
  return (
    <div className={`bubble bubble-${message.direction}`}>
      {(messageText(message.text, message.media) || message.template) && <p className="bubble-text">{messageText(message.text, message.media) ?? message.template}</p>}
      <MessageMediaList media={message.media} />
      <span className="bubble-meta">
        {formatDateTime(message.created_at)}
        {message.direction === 'outbound' && <DeliveryTicks status={message.status} />}
      </span>
      {flags.dev_transport ? <span className="flag">{he.whatsapp.devTransport}</span> : null}
      {flags.outside_window ? <span className="flag">{he.whatsapp.outsideWindow}</span> : null}
      {message.status === 'failed' && message.error && <span className="flag flag-error">{message.error}</span>}
    </div>
  )
}

function TaskBody({ task, onDone }: { task: Task; onDone?: (taskId: number) => void }) {
  return (
    <div className="tl-body">
      <p>
        <strong>{task.title}</strong> · {he.timeline.taskStatus[task.status] ?? task.status}
        {onDone && task.status === 'open' && (
          <button type="button" className="btn btn-small btn-inline" onClick={() => onDone(task.id)}>{he.timeline.markDone}</button>
        )}
      </p>
      {task.description && <p>{task.description}</p>}
      {task.due_at && <p className="muted">{he.timeline.due}: {formatDateTime(task.due_at)}</p>}
    </div>
  )
}

function InvoiceBody({ invoice }: { invoice: Invoice }) {
  return (
    <div className="tl-body">
      <p>
        <strong>{he.timeline.invoiceNumber(invoice.number)}</strong> · {he.timeline.invoiceStatus[invoice.status] ?? invoice.status}
      </p>
      {invoice.description && <p>{invoice.description}</p>}
      <p>
        {he.timeline.beforeVat}: {formatMoney(invoice.amount_agorot)}
        {invoice.total_agorot !== null && <> · {he.timeline.total}: {formatMoney(invoice.total_agorot)}</>}
      </p>
      {invoice.allocation_number && <p className="muted">{he.timeline.allocation}: {invoice.allocation_number}</p>}
    </div>
  )
}

function ContractBody({ contract }: { contract: Contract }) {
  return (
    <div className="tl-body">
      <p><strong>{contract.title}</strong> · {he.timeline.contractStatus[contract.status] ?? contract.status}</p>
      {contract.amount_agorot !== null && <p>{formatMoney(contract.amount_agorot)}</p>}
    </div>
  )
}

/** "תספורת נשים אצל דנה · 10:30–11:15 · נקבע ב-WhatsApp · ‏180 ₪" */
function AppointmentBody({ appointment: a }: { appointment: AppointmentOnTimeline }) {
  const t = he.appointments
  return (
    <div className="tl-body">
      <p>
        <strong>{t.timelineLine(a.service_name, a.staff_name)}</strong>
        {` · ${t.timeRange(formatTime(a.start), formatTime(a.end))}`}
        {` · ${t.statuses[a.status] ?? a.status}`}
        {a.status === 'booked' && t.sources[a.source] ? ` ${t.sources[a.source]}` : ''}
      </p>
      <p className="muted">{a.display.price ?? formatMoney(a.price_agorot)}</p>
      {a.notes && <p className="pre-wrap">{a.notes}</p>}
    </div>
  )
}
