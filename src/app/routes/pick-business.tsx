import { Empty } from '../../components/states'
import { he } from '../../lib/strings'

/** A platform admin works across businesses: CRM screens need one chosen in the top bar. */
export function PickBusiness() {
  return <Empty>{he.dashboard.pickBusiness}</Empty>
}
