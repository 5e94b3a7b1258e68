import { AgentSettings } from '../../features/agent/components/AgentSettings'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

/** Every role of the business sees the agent's settings; only an admin gets the form. */
export default function AgentSettingsRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.agentSettings.title}</h1>
      {businessId ? <AgentSettings scope={params} canEdit={can.admin(user)} /> : <PickBusiness />}
    </section>
  )
}
