import { useState, type FormEvent } from 'react'
import { Field, fieldError } from '../../../components/Field'
import { InlineError } from '../../../components/states'
import { ApiError } from '../../../lib/api-client'
import { israelLocalToIso } from '../../../lib/israel-time'
import { he } from '../../../lib/strings'
import { useCreateTask } from '../api/task-actions'

/** A new task for the customer: a title and an optional due time on the Israeli clock. */
export function TaskForm({ customerId, scope }: { customerId: number; scope: { business_id?: number } }) {
  const [title, setTitle] = useState('')
  const [due, setDue] = useState('')
  const create = useCreateTask(customerId, scope)

  function submit(event: FormEvent) {
    event.preventDefault()
    create.mutate(
      { title: title.trim(), due_at: due ? israelLocalToIso(due) : null },
      { onSuccess: () => { setTitle(''); setDue('') } },
    )
  }

  const hasFields = create.error instanceof ApiError && Object.keys(create.error.fields).length > 0
  return (
    <form className="task-form" onSubmit={submit} noValidate>
      <Field label={he.timeline.newTask} name="title" value={title} onChange={(e) => setTitle(e.target.value)}
        error={fieldError(create.error, 'title')} placeholder={he.timeline.taskPlaceholder} />
      <Field label={he.timeline.due} name="due_at" type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)}
        error={fieldError(create.error, 'due_at')} />
      <button type="submit" className="btn" disabled={create.isPending || !title.trim()}>{he.timeline.addTask}</button>
      {!hasFields && <InlineError error={create.error} />}
    </form>
  )
}
