import { he } from '../lib/strings'
import type { MessageMedia } from '../types/api'

/**
 * A WhatsApp message's attachments: a voice note plays (the server converts WhatsApp's
 * OGG/Opus to MP3, which every browser plays) with its transcript under it; an image is a
 * thumbnail linking to the full file; anything else is a link. Shared by the inbox and the
 * customer timeline.
 */
export function MessageMediaList({ media }: { media: MessageMedia[] | undefined }) {
  if (!media || media.length === 0) return null
  return (
    <div className="message-media">
      {media.map((item) => <MediaItem key={item.id} item={item} />)}
    </div>
  )
}

function MediaItem({ item }: { item: MessageMedia }) {
  const label = he.whatsapp.media[item.kind] ?? item.kind
  const details = item.details ?? {}
  if (item.kind === 'location') {
    const lat = Number(details.latitude)
    const lng = Number(details.longitude)
    return (
      <p className="media-location">
        📍 {String(details.name ?? label)}{' '}
        {Number.isFinite(lat) && Number.isFinite(lng) && (
          <a href={`https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}`} target="_blank" rel="noreferrer noopener">
            {he.whatsapp.media.openMap}
          </a>
        )}
      </p>
    )
  }
  if (item.kind === 'contacts') {
    const people = (details.contacts as { name?: string; phones?: string[] }[] | undefined) ?? []
    return (
      <ul className="media-contacts" aria-label={label}>
        {people.map((p, i) => <li key={i}>👤 {p.name} <span dir="ltr">{(p.phones ?? []).join(', ')}</span></li>)}
      </ul>
    )
  }
  if (item.status === 'pending' || item.status === 'downloading') return <p className="muted">{label}: {he.whatsapp.media.pending}</p>
  if (item.status === 'failed') return <p className="flag flag-error">{label}: {he.whatsapp.media.failed}</p>
  if (item.status === 'erased' || !item.url) return <p className="muted">{label}: {he.whatsapp.media.erased}</p>
  if (item.kind === 'audio') {
    return (
      <figure className="media-audio">
        <audio controls preload="metadata" src={item.url} aria-label={label}>
          <a href={item.url}>{label}</a>
        </audio>
        <figcaption>
          {item.transcript_status === 'done' && item.transcript ? (
            <p className="transcript"><span className="muted">{he.whatsapp.media.transcript}: </span>{item.transcript}</p>
          ) : item.transcript_status === 'pending' ? (
            <span className="muted">{he.whatsapp.media.transcribing}</span>
          ) : item.transcript_status === 'failed' ? (
            <span className="muted">{he.whatsapp.media.transcriptFailed}</span>
          ) : null}
        </figcaption>
      </figure>
    )
  }
  if (item.kind === 'image' || item.kind === 'sticker') {
    return (
      <a href={item.url} target="_blank" rel="noreferrer noopener" className="media-image">
        <img src={item.url} alt={String(details.caption ?? label)} loading="lazy"
          style={{ maxInlineSize: '12rem', maxBlockSize: '12rem', objectFit: 'cover' }} />
      </a>
    )
  }
  if (item.kind === 'video') {
    return <video controls preload="metadata" src={item.url} style={{ maxInlineSize: '16rem' }} aria-label={label} />
  }
  return (
    <a href={item.url} className="media-document" target="_blank" rel="noreferrer noopener">
      📄 {item.filename ?? label}{item.size ? ` (${Math.max(1, Math.round(item.size / 1024))} KB)` : ''}
    </a>
  )
}

/** The text to show beside the attachments: without the "[audio]"-style placeholder the
 * server keeps for search, and not twice when it is the voice note's transcript. */
export function messageText(text: string | null | undefined, media: MessageMedia[] | undefined): string | null {
  if (!text) return null
  const items = media ?? []
  if (items.some((m) => m.kind === 'audio' && m.transcript && m.transcript === text)) return null
  for (const m of items) {
    const placeholder = `[${m.kind}]`
    if (text.startsWith(placeholder)) return text.slice(placeholder.length).trim() || null
  }
  return text
}
