import { useEffect, useRef, type ReactNode } from 'react'
import { he } from '../lib/strings'

/** A modal on the native <dialog>: focus trapping, Esc and the backdrop come with it. */
export function Dialog({ title, open, onClose, children }: {
  title: string
  open: boolean
  onClose: () => void
  children: ReactNode
}) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal()
      else dialog.setAttribute('open', '')
    }
    if (!open && dialog.open) {
      if (typeof dialog.close === 'function') dialog.close()
      else dialog.removeAttribute('open')
    }
  }, [open])
  if (!open) return null
  return (
    <dialog ref={ref} className="dialog" aria-label={title} onCancel={(event) => { event.preventDefault(); onClose() }}>
      <header className="dialog-header">
        <h2>{title}</h2>
        <button type="button" className="btn btn-icon" onClick={onClose} aria-label={he.common.close}>
          ×
        </button>
      </header>
      {children}
    </dialog>
  )
}

export function ConfirmDialog({ open, title, message, confirmLabel, cancelLabel, danger, busy, error, onConfirm, onClose }: {
  open: boolean
  title: string
  message: string
  confirmLabel: string
  /** "ביטול" unless given (say "keep it" when the action itself is a cancellation). */
  cancelLabel?: string
  danger?: boolean
  busy?: boolean
  error?: ReactNode
  onConfirm: () => void
  onClose: () => void
}) {
  return (
    <Dialog title={title} open={open} onClose={onClose}>
      <p>{message}</p>
      {error}
      <div className="dialog-actions">
        <button type="button" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onClose}>
          {cancelLabel ?? he.common.cancel}
        </button>
      </div>
    </Dialog>
  )
}
