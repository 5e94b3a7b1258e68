import { KnowledgeBase } from '../../features/knowledge/components/KnowledgeBase'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

/** Every role of the business reads the knowledge base and tries questions; the admin edits it. */
export default function KnowledgeRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.knowledge.title}</h1>
      {businessId ? <KnowledgeBase scope={params} canEdit={can.admin(user)} /> : <PickBusiness />}
    </section>
  )
}
