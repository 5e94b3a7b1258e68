import { BusinessesAdmin } from '../../features/businesses/components/BusinessesAdmin'
import { can, useUser } from '../../lib/auth'
import { he } from '../../lib/strings'
import NotFoundRoute from './not-found'

export default function BusinessesRoute() {
  const { data: user } = useUser()
  if (!can.platform(user)) return <NotFoundRoute />
  return (
    <section className="page">
      <h1>{he.businesses.title}</h1>
      <BusinessesAdmin />
    </section>
  )
}
