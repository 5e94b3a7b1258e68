import { useBusinesses } from '../../features/businesses/api/get-businesses'
import { UsersAdmin } from '../../features/users/components/UsersAdmin'
import { can, useUser } from '../../lib/auth'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'
import NotFoundRoute from './not-found'

export default function UsersRoute() {
  const { data: user } = useUser()
  const { params } = useBusinessScope()
  const platform = can.platform(user)
  const businesses = useBusinesses(platform)
  if (!can.admin(user)) return <NotFoundRoute />
  return (
    <section className="page">
      <h1>{he.users.title}</h1>
      <UsersAdmin scope={params} businesses={businesses.data ?? []} platform={platform} />
    </section>
  )
}
