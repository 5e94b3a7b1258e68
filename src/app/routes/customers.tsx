import { CustomersList } from '../../features/customers/components/CustomersList'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import { PickBusiness } from './pick-business'

export default function CustomersRoute() {
  const { data: user } = useUser()
  const { businessId, params } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.customers.title}</h1>
      {businessId ? <CustomersList scope={params} canWrite={can.write(user)} /> : <PickBusiness />}
    </section>
  )
}
