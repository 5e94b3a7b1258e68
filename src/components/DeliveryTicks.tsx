import { he } from '../lib/strings'

/** WhatsApp's ticks: ✓ sent, ✓✓ delivered, blue ✓✓ read, ! failed, a clock while queued. */
export function DeliveryTicks({ status }: { status: string }) {
  const label = he.whatsapp.status[status] ?? status
  const glyph = status === 'read' || status === 'delivered' ? '✓✓' : status === 'sent' ? '✓' : status === 'failed' ? '!' : '🕓'
  return (
    <span className={`ticks ticks-${status}`} title={label} aria-label={label} data-status={status}>
      {glyph}
    </span>
  )
}
