import { useMemo, useState } from 'react'
import { Link } from 'react-router'
import { DeliveryTicks } from '../../../components/DeliveryTicks'
import { Empty, ErrorState, Loading } from '../../../components/states'
import { formatDateTime, formatPhone } from '../../../lib/format'
import { he } from '../../../lib/strings'
import { MessageMediaList, messageText } from '../../../components/MessageMedia'
import type { WhatsAppMessage } from '../../../types/api'
import { useMessages } from '../api/get-messages'
import { AgentSwitch } from './AgentSwitch'
import { SendBox } from './SendBox'

interface Conversation {
  key: string
  customerId: number | null
  name: string
  phone: string | null
  last: WhatsAppMessage
  messages: WhatsAppMessage[]
}

/** Messages grouped into conversations by customer (or by number for an unknown one). */
export function groupConversations(messages: WhatsAppMessage[]): Conversation[] {
  const byKey = new Map<string, Conversation>()
  for (const message of messages) {
    const phone = message.direction === 'inbound' ? message.from : message.to
    const key = message.customer_id ? `c${message.customer_id}` : `p${phone}`
    let conversation = byKey.get(key)
    if (!conversation) {
      conversation = { key, customerId: message.customer_id, name: message.customer_name || formatPhone(phone), phone, last: message, messages: [] }
      byKey.set(key, conversation)
    }
    conversation.messages.push(message)
    if ((message.created_at ?? '') > (conversation.last.created_at ?? '')) conversation.last = message
  }
  const list = [...byKey.values()]
  for (const c of list) c.messages.sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? '') || a.id - b.id)
  return list.sort((a, b) => (b.last.created_at ?? '').localeCompare(a.last.created_at ?? ''))
}

export function Inbox({ scope, canWrite }: { scope: { business_id?: number }; canWrite: boolean }) {
  const query = useMessages({ ...scope, limit: 100 })
  const conversations = useMemo(() => groupConversations(query.data ?? []), [query.data])
  const [selected, setSelected] = useState<string | null>(null)
  if (query.isPending) return <Loading />
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  if (conversations.length === 0) return <Empty>{he.whatsapp.empty}</Empty>
  const current = conversations.find((c) => c.key === selected) ?? conversations[0]
  return (
    <div className="inbox">
      <ul className="inbox-list">
        {conversations.map((c) => (
          <li key={c.key}>
            <button type="button" className={`inbox-item${c.key === current.key ? ' is-active' : ''}`} onClick={() => setSelected(c.key)}>
              <span className="inbox-name">{c.name}</span>
              <span className="inbox-preview">
                {c.last.direction === 'outbound' && <DeliveryTicks status={c.last.status} />} {c.last.text ?? c.last.template}
              </span>
              <time className="muted">{formatDateTime(c.last.created_at)}</time>
            </button>
          </li>
        ))}
      </ul>
      <section className="conversation" aria-label={current.name}>
        <header className="row-between">
          <h2>{current.customerId ? <Link to={`/customers/${current.customerId}`}>{current.name}</Link> : current.name}</h2>
          <span dir="ltr" className="muted">{formatPhone(current.phone)}</span>
        </header>
        <AgentSwitch customerId={current.customerId} scope={scope} canWrite={canWrite} />
        <div className="bubbles">
          {current.messages.map((m) => (
            <div key={m.id} className={`bubble bubble-${m.direction}`}>
              {(messageText(m.text, m.media) || m.template) && <p className="bubble-text">{messageText(m.text, m.media) ?? m.template}</p>}
              <MessageMediaList media={m.media} />
              <span className="bubble-meta">
                {formatDateTime(m.created_at)}
                {m.direction === 'outbound' && <DeliveryTicks status={m.status} />}
              </span>
              {m.flags?.agent ? <span className="flag flag-agent">{he.whatsapp.agent.badge}</span> : null}
              {m.flags?.dev_transport ? <span className="flag">{he.whatsapp.devTransport}</span> : null}
            </div>
          ))}
        </div>
        {canWrite && <SendBox to={current.phone} customerId={current.customerId ?? undefined} scope={scope} />}
      </section>
    </div>
  )
}
