import { he } from '../../../lib/strings'
import type { ConversationState } from '../../../types/api'
import { useConversationState, useSetHandler } from '../api/conversation'

/** The words for who answers the conversation now (the agent, or staff and why). */
export function handlerText(state: ConversationState): string {
  const t = he.whatsapp.agent
  if (state.agent_setting === 'off') return t.off
  if (state.handler === 'staff') return state.handed_over_reason === 'customer' ? `${t.customerAsked}. ${t.staffAnswering}` : t.staffAnswering
  return state.agent_setting === 'outside_hours' ? t.outsideHours : t.answering
}

/** Who answers this customer's WhatsApp, and the switch to take it from the agent or hand it back. */
export function AgentSwitch({ customerId, scope, canWrite }: { customerId: number | null; scope: { business_id?: number }; canWrite: boolean }) {
  const state = useConversationState(customerId, scope)
  const setHandler = useSetHandler(customerId, scope)
  if (customerId == null || !state.data) return null
  const data = state.data
  const t = he.whatsapp.agent
  return (
    <p className="agent-switch muted" role="status">
      <span>{handlerText(data)}</span>
      {canWrite && data.agent_setting !== 'off' && (
        <button type="button" className="btn btn-small" disabled={setHandler.isPending}
          onClick={() => setHandler.mutate(data.handler === 'staff' ? 'agent' : 'staff')}>
          {data.handler === 'staff' ? t.handBack : t.takeOver}
        </button>
      )}
    </p>
  )
}
