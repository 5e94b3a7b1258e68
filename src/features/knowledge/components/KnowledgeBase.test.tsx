import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeApi, validationBody } from '../../../test/fake-api'
import { renderWithApp, staff } from '../../../test/render'
import type { KnowledgeDocument, KnowledgeEntry } from '../../../types/api'
import { KnowledgeBase } from './KnowledgeBase'

const admin = { id: 5, email: 'ruti@ruti.co.il', role: 'admin' as const, business_id: 1, business_name: 'מספרת רותי' }
const parking: KnowledgeEntry = {
  id: 1, business_id: 1, title: 'חניה', body: 'יש חניון ציבורי ברחוב רוטשילד 10.', created_at: null, updated_at: null,
}
const policy: KnowledgeDocument = {
  id: 7, business_id: 1, filename: 'מדיניות.docx', content_type: 'application/pdf', size_bytes: 2048, status: 'ready',
  error: null, uploaded_by: 5, extracted_at: null, created_at: null, updated_at: null, passage_count: 2,
}
const scanned: KnowledgeDocument = { ...policy, id: 8, filename: 'סרוק.pdf', status: 'failed', error: 'document_no_text', passage_count: 0 }

function server(entries: KnowledgeEntry[] = [parking], documents: KnowledgeDocument[] = [policy, scanned]) {
  return fakeApi({
    'GET /api/auth/csrf': { body: { csrf_token: 'csrf-1' } },
    'GET /api/knowledge': () => ({ body: entries }),
    'GET /api/knowledge/documents': () => ({ body: documents }),
    'POST /api/knowledge': (r) => {
      const body = r.body as { title: string; body: string }
      if (!body.body) return { status: 422, body: validationBody({ body: ['too short', 'too_short', { min: 1 }] }) }
      const made = { ...parking, id: 2, ...body }
      entries.push(made)
      return { status: 201, body: made }
    },
    'GET /api/knowledge/documents/7': {
      body: { ...policy, passages: [{ id: 1, ordinal: 0, title: 'מדיניות ביטולים', text: 'ביטול עד 24 שעות מראש.' },
                                    { id: 2, ordinal: 1, title: 'איחורים', text: 'איחור של רבע שעה מקצר את הטיפול.' }] },
    },
    'GET /api/knowledge/search': (r) => ({
      body: r.query.get('q')?.includes('חניה') || r.query.get('q')?.includes('להחנות')
        ? [{ id: 1, kind: 'entry', title: 'חניה', passage: 'יש חניון ציבורי ברחוב רוטשילד 10.', score: 2.1 }]
        : [],
    }),
    'POST /api/knowledge/documents': { status: 413, body: {
      error: 'file too large', code: 'file_too_large', fields: { file: 'at most 5242880 bytes' },
      field_codes: { file: { code: 'file_too_large', params: { max: 5242880, max_mb: 5 } } } } },
  })
}

describe('KnowledgeBase', () => {
  it('shows entries, what each document became, and a failed document in Hebrew', async () => {
    server()
    renderWithApp(<KnowledgeBase scope={{}} canEdit />, { user: admin })
    expect(await screen.findByText('יש חניון ציבורי ברחוב רוטשילד 10.')).toBeTruthy()
    const ready = (await screen.findByText('מדיניות.docx')).closest('li')!
    expect(within(ready).getByText('מוכן')).toBeTruthy()
    expect(within(ready).getByText('2 קטעים')).toBeTruthy()
    await userEvent.click(within(ready).getByRole('button', { name: 'הצגת הקטעים' }))
    expect(await within(ready).findByText('מדיניות ביטולים')).toBeTruthy()
    const failed = screen.getByText('סרוק.pdf').closest('li')!
    expect(within(failed).getByText('נכשל')).toBeTruthy()
    expect(within(failed).getByText('לא נמצא טקסט בקובץ (אולי זה מסמך סרוק)')).toBeTruthy()
  })

  it('an admin adds an entry and the server is sent exactly its title and body', async () => {
    const { requests } = server([])
    renderWithApp(<KnowledgeBase scope={{}} canEdit />, { user: admin })
    await screen.findByText('עדיין אין תשובות במאגר.')
    await userEvent.click(screen.getByRole('button', { name: 'תשובה חדשה' }))
    const dialog = screen.getByRole('dialog', { name: 'תשובה חדשה' })
    await userEvent.type(within(dialog).getByLabelText('נושא או שאלה'), 'שעות פתיחה')
    await userEvent.type(within(dialog).getByLabelText('התשובה'), 'ראשון עד חמישי 9–20')
    await userEvent.click(within(dialog).getByRole('button', { name: 'שמירה' }))
    expect(await screen.findByText('ראשון עד חמישי 9–20')).toBeTruthy()
    const sent = requests.find((r) => r.method === 'POST' && r.path === '/api/knowledge')
    expect(sent?.body).toEqual({ title: 'שעות פתיחה', body: 'ראשון עד חמישי 9–20' })
    expect(sent?.headers['X-CSRF-Token']).toBe('csrf-1')
  })

  it('trying a question shows the passage found and where it came from, or says nothing matched', async () => {
    server()
    renderWithApp(<KnowledgeBase scope={{}} canEdit={false} />, { user: staff })
    await userEvent.type(screen.getByLabelText('שאלה'), 'איפה אפשר להחנות?')
    await userEvent.click(screen.getByRole('button', { name: 'חיפוש תשובה' }))
    const found = await screen.findByRole('status')
    expect(within(found).getByText('ענה מתוך: חניה')).toBeTruthy()
    expect(within(found).getByText('יש חניון ציבורי ברחוב רוטשילד 10.')).toBeTruthy()

    await userEvent.clear(screen.getByLabelText('שאלה'))
    await userEvent.type(screen.getByLabelText('שאלה'), 'אתם עושים קעקועים?')
    await userEvent.click(screen.getByRole('button', { name: 'חיפוש תשובה' }))
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('לא נמצא קטע מתאים'))
  })

  it('staff read without the controls that change the knowledge base', async () => {
    server()
    renderWithApp(<KnowledgeBase scope={{}} canEdit={false} />, { user: staff })
    await screen.findByText('מדיניות.docx')
    expect(screen.getByText('רק מנהל העסק יכול לשנות את מאגר הידע.')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'תשובה חדשה' })).toBeNull()
    expect(screen.queryByLabelText('קובץ להעלאה')).toBeNull()
    expect(screen.queryByRole('button', { name: /מחיקה/ })).toBeNull()
  })

  it('an upload that is too large says so in Hebrew with the limit', async () => {
    server()
    renderWithApp(<KnowledgeBase scope={{ business_id: 1 }} canEdit />, { user: admin })
    const file = new File(['x'.repeat(10)], 'ענק.pdf', { type: 'application/pdf' })
    await userEvent.upload(await screen.findByLabelText('קובץ להעלאה'), file)
    expect((await screen.findByRole('alert')).textContent).toBe('הקובץ גדול מדי: אפשר להעלות עד 5 מגה־בייט')
  })
})
