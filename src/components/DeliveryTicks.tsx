import { he } from '../lib/strings'

/** WhatsApp's ticks: ✓ sent, ✓✓ delivered, blue ✓✓ read, ! failed, a clock while queued. */
export function DeliveryTicks({ status }: { status: string }) {
  const label = he.whatsapp.status[status] ?? status
  const pending = status === 'queued' || status === 'sending'
  const glyph = status === 'read' || status === 'delivered' ? '✓✓' : status === 'sent' ? '✓' : status === 'failed' ? '!' : ''
  return (
    <span className={`ticks ticks-${status}`} title={label} aria-label={label} role="img" data-status={status}>
      {pending ? (
        // Drawn, not an emoji: a clock emoji needs a colour font many machines lack.
        <svg viewBox="0 0 12 12" width="11" height="11" aria-hidden="true">
          <circle cx="6" cy="6" r="5" fill="none" stroke="currentColor" strokeWidth="1.2" />
          <path d="M6 3v3l2 1.5" fill="none" stroke="currentColor" strokeWidth="1.2" strokeLinecap="round" />
        </svg>
      ) : glyph}
    </span>
  )
}
