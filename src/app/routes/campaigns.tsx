import { Campaigns } from '../../features/automations/components/Campaigns'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

/** Every role sees the campaigns and their recipients; the admin composes and sends. */
export default function CampaignsRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.campaigns.title}</h1>
      {businessId ? <Campaigns scope={params} canEdit={can.admin(user)} /> : <PickBusiness />}
    </section>
  )
}
