import { useState, type FormEvent } from 'react'
import { ConfirmDialog, Dialog } from '../../../components/Dialog'
import { Field, FormError, fieldError } from '../../../components/Field'
import { Empty, ErrorState, InlineError, Loading } from '../../../components/states'
import { formatDateTime } from '../../../lib/format'
import { he } from '../../../lib/strings'
import type { AppUser, AppUserInput, Business } from '../../../types/api'
import { useCreateUser, useSetUserActive, useUpdateUser, useUsers } from '../api/users'

/**
 * Users of one business (a business admin) or of all of them (a platform admin, who also
 * chooses each user's business).
 */
export function UsersAdmin({ scope, businesses, platform }: {
  scope: { business_id?: number }
  businesses: Business[]
  platform: boolean
}) {
  const list = useUsers(scope)
  const create = useCreateUser()
  const update = useUpdateUser()
  const activation = useSetUserActive()
  const [editing, setEditing] = useState<AppUser | 'new' | null>(null)
  const [deactivating, setDeactivating] = useState<AppUser | null>(null)
  const businessName = (id: number | null) => (id === null ? he.users.noBusiness : businesses.find((b) => b.id === id)?.name ?? `#${id}`)
  const form = editing === 'new' ? create : update

  return (
    <>
      <div className="toolbar">
        <button type="button" className="btn btn-primary" onClick={() => { create.reset(); setEditing('new') }}>{he.users.new}</button>
      </div>
      <InlineError error={activation.error && !deactivating ? activation.error : null} />
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <Empty>{he.users.empty}</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{he.users.email}</th>
              <th>{he.users.name}</th>
              <th>{he.users.role}</th>
              {platform && <th>{he.users.business}</th>}
              <th>{he.users.status}</th>
              <th>{he.users.lastLogin}</th>
              <th><span className="visually-hidden">{he.common.edit}</span></th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((u) => (
              <tr key={u.id} className={u.active ? '' : 'is-muted'}>
                <td><span dir="ltr">{u.email}</span></td>
                <td>{u.name || he.common.none}</td>
                <td>{he.roles[u.role] ?? u.role}</td>
                {platform && <td>{businessName(u.business_id)}</td>}
                <td><span className={`pill ${u.active ? 'pill-ok' : 'pill-off'}`}>{u.active ? he.businesses.active : he.businesses.inactive}</span></td>
                <td>{formatDateTime(u.last_login_at)}</td>
                <td className="row-actions">
                  <button type="button" className="btn btn-small" onClick={() => { update.reset(); setEditing(u) }}>{he.common.edit}</button>
                  {u.active ? (
                    <button type="button" className="btn btn-small" onClick={() => { activation.reset(); setDeactivating(u) }}>{he.users.deactivate}</button>
                  ) : (
                    <button type="button" className="btn btn-small" disabled={activation.isPending} onClick={() => activation.mutate({ id: u.id, active: true })}>{he.users.reactivate}</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Dialog title={editing === 'new' ? he.users.new : he.users.editTitle} open={editing !== null} onClose={() => setEditing(null)}>
        {editing !== null && (
          <UserForm
            user={editing === 'new' ? undefined : editing}
            businesses={businesses}
            platform={platform}
            defaultBusinessId={scope.business_id ?? null}
            pending={form.isPending}
            error={form.error}
            onCancel={() => setEditing(null)}
            onSubmit={(input) => {
              const done = { onSuccess: () => setEditing(null) }
              if (editing === 'new') create.mutate(input, done)
              else update.mutate({ id: editing.id, input }, done)
            }}
          />
        )}
      </Dialog>
      <ConfirmDialog
        open={deactivating !== null}
        title={he.users.deactivate}
        message={deactivating ? he.users.deactivateConfirm(deactivating.email) : ''}
        confirmLabel={he.users.deactivate}
        danger
        busy={activation.isPending}
        error={<InlineError error={activation.error} />}
        onClose={() => setDeactivating(null)}
        onConfirm={() => deactivating && activation.mutate({ id: deactivating.id, active: false }, { onSuccess: () => setDeactivating(null) })}
      />
    </>
  )
}

function UserForm({ user, businesses, platform, defaultBusinessId, pending, error, onSubmit, onCancel }: {
  user?: AppUser
  businesses: Business[]
  platform: boolean
  defaultBusinessId: number | null
  pending: boolean
  error: unknown
  onSubmit: (input: AppUserInput) => void
  onCancel: () => void
}) {
  const [email, setEmail] = useState(user?.email ?? '')
  const [name, setName] = useState(user?.name ?? '')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<AppUser['role']>(user?.role ?? 'staff')
  const [businessId, setBusinessId] = useState<number | null>(user ? user.business_id : defaultBusinessId)

  function submit(event: FormEvent) {
    event.preventDefault()
    const input: AppUserInput = { name: name.trim() || null, role }
    if (!user) input.email = email.trim()
    if (password) input.password = password
    if (platform) input.business_id = businessId
    onSubmit(input)
  }
  const roleError = fieldError(error, 'role')
  const businessError = fieldError(error, 'business_id')
  return (
    <form className="form" onSubmit={submit} noValidate>
      <Field label={he.users.email} name="email" type="email" dir="ltr" value={email} disabled={!!user}
        onChange={(e) => setEmail(e.target.value)} error={fieldError(error, 'email')} autoFocus={!user} />
      <Field label={he.users.name} name="name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(error, 'name')} />
      <Field label={he.users.password} name="password" type="password" dir="ltr" autoComplete="new-password" value={password}
        onChange={(e) => setPassword(e.target.value)} error={fieldError(error, 'password')} hint={he.users.passwordHint} />
      <div className={`field${roleError ? ' field-invalid' : ''}`}>
        <label htmlFor="user-role">{he.users.role}</label>
        <select id="user-role" name="role" value={role} onChange={(e) => setRole(e.target.value as AppUser['role'])}>
          <option value="staff">{he.roles.staff}</option>
          <option value="viewer">{he.roles.viewer}</option>
          <option value="admin">{he.roles.admin}</option>
        </select>
        {roleError && <span className="field-error">{roleError}</span>}
      </div>
      {platform && (
        <div className={`field${businessError ? ' field-invalid' : ''}`}>
          <label htmlFor="user-business">{he.users.business}</label>
          <select id="user-business" name="business_id" value={businessId ?? ''}
            onChange={(e) => setBusinessId(e.target.value ? Number(e.target.value) : null)}>
            <option value="">{he.users.noBusiness}</option>
            {businesses.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
          </select>
          {businessError && <span className="field-error">{businessError}</span>}
        </div>
      )}
      <FormError error={error} shown={['email', 'name', 'password', 'role', ...(platform ? ['business_id'] : [])]} />
      <div className="dialog-actions">
        <button type="submit" className="btn btn-primary" disabled={pending}>{pending ? he.common.saving : he.common.save}</button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>{he.common.cancel}</button>
      </div>
    </form>
  )
}
