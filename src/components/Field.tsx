import { useId, type InputHTMLAttributes, type ReactNode } from 'react'
import { ApiError } from '../lib/api-client'
import { translateServerMessage } from '../lib/strings'

/** The server's message for one field of a 422 {"error":"validation","fields":{...}}. */
export function fieldError(error: unknown, name: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined
  const message = error.fields[name]
  return message ? translateServerMessage(message) : undefined
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
