import { Link } from 'react-router'
import { he } from '../../lib/strings'

export default function NotFoundRoute() {
  return (
    <section className="page">
      <h1>{he.common.notFound}</h1>
      <Link to="/">{he.common.backHome}</Link>
    </section>
  )
}
