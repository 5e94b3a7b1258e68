import { useState, type FormEvent } from 'react'
import { ConfirmDialog, Dialog } from '../../../components/Dialog'
import { Field, fieldError, FormError } from '../../../components/Field'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { errorText, he } from '../../../lib/strings'
import type { KnowledgeDocument, KnowledgeEntry } from '../../../types/api'
import { useDeleteDocument, useDocument, useDocuments, useUploadDocument } from '../api/documents'
import { useDeleteEntry, useEntries, useSaveEntry } from '../api/entries'
import { useTryQuestion } from '../api/search'

type Scope = { business_id?: number }
const t = he.knowledge

/** The knowledge base of one business: entries, documents, and a question to try. */
export function KnowledgeBase({ scope, canEdit }: { scope: Scope; canEdit: boolean }) {
  return (
    <>
      <p className="muted">{t.intro}</p>
      {!canEdit && <p className="notice">{t.readOnly}</p>}
      <TryQuestion scope={scope} />
      <Entries scope={scope} canEdit={canEdit} />
      <Documents scope={scope} canEdit={canEdit} />
    </>
  )
}

function TryQuestion({ scope }: { scope: Scope }) {
  const [question, setQuestion] = useState('')
  const search = useTryQuestion(scope)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (question.trim()) search.mutate(question.trim())
  }
  const best = search.data?.[0]
  return (
    <section className="card" aria-labelledby="knowledge-try">
      <h2 id="knowledge-try">{t.tryTitle}</h2>
      <p className="muted">{t.tryIntro}</p>
      <form className="form" onSubmit={submit}>
        <Field label={t.question} name="q" value={question} maxLength={500}
          onChange={(e) => setQuestion(e.target.value)} error={fieldError(search.error, 'q')} />
        <button type="submit" className="btn btn-primary" disabled={search.isPending || !question.trim()}>{t.ask}</button>
      </form>
      {search.error && !fieldError(search.error, 'q') ? <InlineError error={search.error} /> : null}
      {search.isSuccess && (best ? (
        <div className="agent-result" role="status">
          <p className="chip">{t.from(best.title)}</p>
          <p className="pre-wrap">{best.passage}</p>
          <p className="muted">{t.kind[best.kind]}</p>
        </div>
      ) : (
        <p className="muted" role="status">{t.noMatch}</p>
      ))}
    </section>
  )
}

function Entries({ scope, canEdit }: { scope: Scope; canEdit: boolean }) {
  const { data: entries, isPending, error, refetch } = useEntries(scope)
  const [editing, setEditing] = useState<KnowledgeEntry | 'new' | null>(null)
  const [deleting, setDeleting] = useState<KnowledgeEntry | null>(null)
  const remove = useDeleteEntry(scope)
  return (
    <section className="card" aria-labelledby="knowledge-entries">
      <div className="row-between">
        <h2 id="knowledge-entries">{t.entries}</h2>
        {canEdit && <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>{t.newEntry}</button>}
      </div>
      {isPending ? <Loading /> : error ? <ErrorState error={error} onRetry={() => void refetch()} /> :
        entries.length === 0 ? <Empty>{t.noEntries}</Empty> : (
          <ul className="plain-list">
            {entries.map((entry) => (
              <li key={entry.id}>
                <div className="row-between">
                  <strong>{entry.title}</strong>
                  {canEdit && (
                    <span className="row-actions">
                      <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(entry)}
                        aria-label={`${he.common.edit}: ${entry.title}`}>{he.common.edit}</button>
                      <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setDeleting(entry)}
                        aria-label={`${he.common.delete}: ${entry.title}`}>{he.common.delete}</button>
                    </span>
                  )}
                </div>
                <p className="pre-wrap">{entry.body}</p>
              </li>
            ))}
          </ul>
        )}
      {editing && <EntryDialog scope={scope} entry={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      <ConfirmDialog open={deleting !== null} title={t.deleteEntry} message={deleting ? t.deleteEntryConfirm(deleting.title) : ''}
        confirmLabel={he.common.delete} danger busy={remove.isPending}
        error={remove.error ? <InlineError error={remove.error} /> : null}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
        onClose={() => { setDeleting(null); remove.reset() }} />
    </section>
  )
}

function EntryDialog({ scope, entry, onClose }: { scope: Scope; entry: KnowledgeEntry | null; onClose: () => void }) {
  const [title, setTitle] = useState(entry?.title ?? '')
  const [body, setBody] = useState(entry?.body ?? '')
  const save = useSaveEntry(scope)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    save.mutate({ id: entry?.id, input: { title: title.trim(), body: body.trim() } }, { onSuccess: onClose })
  }
  return (
    <Dialog title={entry ? t.editEntry : t.newEntry} open onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <Field label={t.entryTitle} name="title" value={title} required maxLength={200} hint={t.entryTitleHint}
          onChange={(e) => setTitle(e.target.value)} error={fieldError(save.error, 'title')} />
        <Field label={t.entryBody} name="body" value={body} multiline rows={5} maxLength={20000}
          onChange={(e) => setBody(e.target.value)} error={fieldError(save.error, 'body')} />
        <FormError error={save.error} shown={['title', 'body']} />
        <div className="dialog-actions">
          <button type="submit" className="btn btn-primary" disabled={save.isPending || !title.trim() || !body.trim()}>
            {save.isPending ? he.common.saving : he.common.save}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onClose}>{he.common.cancel}</button>
        </div>
      </form>
    </Dialog>
  )
}

function Documents({ scope, canEdit }: { scope: Scope; canEdit: boolean }) {
  const { data: documents, isPending, error, refetch } = useDocuments(scope)
  const upload = useUploadDocument(scope)
  const remove = useDeleteDocument(scope)
  const [open, setOpen] = useState<number | null>(null)
  const [deleting, setDeleting] = useState<KnowledgeDocument | null>(null)
  return (
    <section className="card" aria-labelledby="knowledge-documents">
      <h2 id="knowledge-documents">{t.documents}</h2>
      {canEdit && (
        <div className="field">
          <label htmlFor="knowledge-file">{t.chooseFile}</label>
          <input id="knowledge-file" type="file" accept=".pdf,.docx,.txt,.md,text/plain,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            disabled={upload.isPending}
            onChange={(e) => {
              const file = e.target.files?.[0]
              if (file) upload.mutate(file)
              e.target.value = ''
            }} />
          {upload.isPending && <span className="field-hint">{t.uploading}</span>}
          {upload.error ? <span className="field-error" role="alert">{fieldError(upload.error, 'file') ?? errorText((upload.error as { code?: string }).code)}</span> : null}
        </div>
      )}
      {isPending ? <Loading /> : error ? <ErrorState error={error} onRetry={() => void refetch()} /> :
        documents.length === 0 ? <Empty>{t.noDocuments}</Empty> : (
          <ul className="plain-list">
            {documents.map((doc) => (
              <li key={doc.id}>
                <div className="row-between">
                  <strong dir="auto">{doc.filename}</strong>
                  <span className={`pill${doc.status === 'ready' ? ' pill-ok' : doc.status === 'failed' ? ' pill-off' : ''}`}>
                    {t.status[doc.status]}
                  </span>
                </div>
                <p className="muted">
                  {doc.status === 'failed' ? errorText(doc.error) : doc.status === 'ready' ? t.passages(doc.passage_count) : null}
                </p>
                <span className="row-actions">
                  {doc.status === 'ready' && (
                    <button type="button" className="btn btn-small btn-ghost" aria-expanded={open === doc.id}
                      onClick={() => setOpen(open === doc.id ? null : doc.id)}>
                      {open === doc.id ? t.hidePassages : t.showPassages}
                    </button>
                  )}
                  {canEdit && (
                    <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setDeleting(doc)}
                      aria-label={`${he.common.delete}: ${doc.filename}`}>{he.common.delete}</button>
                  )}
                </span>
                {open === doc.id && <Passages scope={scope} id={doc.id} />}
              </li>
            ))}
          </ul>
        )}
      <ConfirmDialog open={deleting !== null} title={t.deleteDocument}
        message={deleting ? t.deleteDocumentConfirm(deleting.filename) : ''} confirmLabel={he.common.delete} danger
        busy={remove.isPending} error={remove.error ? <InlineError error={remove.error} /> : null}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
        onClose={() => { setDeleting(null); remove.reset() }} />
    </section>
  )
}

function Passages({ scope, id }: { scope: Scope; id: number }) {
  const { data, isPending, error } = useDocument(scope, id)
  if (isPending) return <Loading />
  if (error) return <InlineError error={error} />
  return (
    <ol className="plain-list">
      {data.passages.map((passage) => (
        <li key={passage.id}>
          <strong>{passage.title}</strong>
          <p className="pre-wrap">{passage.text}</p>
        </li>
      ))}
    </ol>
  )
}
