import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { MessageMedia } from '../types/api'
import { MessageMediaList, messageText } from './MessageMedia'

const item = (over: Partial<MessageMedia>): MessageMedia => ({
  id: 1, kind: 'audio', status: 'ready', content_type: 'audio/mpeg', size: 4000, filename: null,
  url: '/api/whatsapp/media/1', transcript: null, transcript_status: null, details: {}, error: null, ...over,
})

describe('MessageMediaList', () => {
  it('plays a voice note (served as MP3) with its transcript under the player', () => {
    const { container } = render(<MessageMediaList media={[item({ transcript: 'אפשר תור למחר?', transcript_status: 'done' })]} />)
    const audio = container.querySelector('audio')!
    expect(audio.getAttribute('src')).toBe('/api/whatsapp/media/1')
    expect(audio.hasAttribute('controls')).toBe(true)
    expect(screen.getByText('אפשר תור למחר?')).toBeTruthy()
  })

  it('says a transcript is on its way, or could not be made', () => {
    render(<MessageMediaList media={[item({ id: 1, transcript_status: 'pending' }), item({ id: 2, transcript_status: 'failed' })]} />)
    expect(screen.getByText('מתמלל…')).toBeTruthy()
    expect(screen.getByText('לא הצלחנו לתמלל את ההודעה הקולית')).toBeTruthy()
  })

  it('shows an image as a thumbnail linking to the file, and a document as a link', () => {
    render(<MessageMediaList media={[
      item({ id: 2, kind: 'image', content_type: 'image/png', url: '/api/whatsapp/media/2', details: { caption: 'הרכב' } }),
      item({ id: 3, kind: 'document', content_type: 'application/pdf', filename: 'הצעה.pdf', size: 20480, url: '/api/whatsapp/media/3' }),
    ]} />)
    const img = screen.getByRole('img', { name: 'הרכב' })
    expect(img.getAttribute('src')).toBe('/api/whatsapp/media/2')
    expect(screen.getByRole('link', { name: /הצעה\.pdf \(20 KB\)/ }).getAttribute('href')).toBe('/api/whatsapp/media/3')
  })

  it('is honest about a file still downloading, failed or erased', () => {
    render(<MessageMediaList media={[
      item({ id: 4, status: 'pending', url: null }), item({ id: 5, kind: 'image', status: 'failed', url: null }),
      item({ id: 6, kind: 'document', status: 'erased', url: null }),
    ]} />)
    expect(screen.getByText('הודעה קולית: הקובץ בהורדה…')).toBeTruthy()
    expect(screen.getByText('תמונה: לא הצלחנו להוריד את הקובץ')).toBeTruthy()
    expect(screen.getByText('מסמך: הקובץ נמחק')).toBeTruthy()
  })
})

describe('messageText', () => {
  it('drops the search placeholder and a transcript already shown under the player', () => {
    expect(messageText('[image] הרכב', [item({ kind: 'image' })])).toBe('הרכב')
    expect(messageText('[audio]', [item({})])).toBeNull()
    expect(messageText('שלום', [item({ transcript: 'שלום', transcript_status: 'done' })])).toBeNull()
    expect(messageText('שלום', [])).toBe('שלום')
  })
})
