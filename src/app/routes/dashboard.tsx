import { DashboardView } from '../../features/dashboard/components/DashboardView'
import { useBusinessScope } from '../../lib/business-scope'
import { he } from '../../lib/strings'

export default function DashboardRoute() {
  const { businessId } = useBusinessScope()
  return (
    <section className="page">
      <h1>{he.dashboard.title}</h1>
      <DashboardView businessId={businessId} />
    </section>
  )
}
