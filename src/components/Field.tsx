import { useId, type InputHTMLAttributes, type ReactNode } from 'react'
import { ApiError } from '../lib/api-client'
import { errorText, he } from '../lib/strings'
import { InlineError } from './states'

/** The Hebrew for one field of a 422 (its code in "field_codes"), or undefined when the field is fine. */
export function fieldError(error: unknown, name: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined
  const field = error.fieldCode(name)
  return field ? errorText(field.code, field.params) : undefined
}

/**
 * What a form shows under its fields when saving failed: for a 422, "fix the marked fields"
 * when one of `shown` is marked, and the server's message for every field the form has no
 * input for (it would otherwise be lost); for any other failure, the server's message.
 */
export function FormError({ error, shown }: { error: unknown; shown: string[] }) {
  if (!error) return null
  if (!(error instanceof ApiError) || Object.keys(error.fields).length === 0) return <InlineError error={error} />
  const names = Object.keys(error.fields)
  const others = names.filter((name) => !shown.includes(name))
  return (
    <div className="form-error" role="alert">
      {others.length < names.length && <p>{he.errors.fixFields}</p>}
      {others.map((name) => <p key={name}>{fieldError(error, name)}</p>)}
    </div>
  )
}

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string
  name: string
  error?: string
  hint?: ReactNode
  multiline?: boolean
  /** Lines of a multiline field (3 unless given). */
  rows?: number
}

export function Field({ label, name, error, hint, multiline, rows = 3, ...input }: FieldProps) {
  const id = useId()
  const described = error ? `${id}-error` : hint ? `${id}-hint` : undefined
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea
          id={id}
          name={name}
          aria-invalid={!!error}
          aria-describedby={described}
          value={input.value as string}
          onChange={input.onChange as never}
          dir={input.dir}
          placeholder={input.placeholder}
          maxLength={input.maxLength}
          rows={rows}
        />
      ) : (
        <input id={id} name={name} aria-invalid={!!error} aria-describedby={described} {...input} />
      )}
      {error ? (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      ) : hint ? (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  )
}
