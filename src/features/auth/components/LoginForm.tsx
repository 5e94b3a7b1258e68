import { useState, type FormEvent } from 'react'
import { Field, fieldError } from '../../../components/Field'
import { InlineError } from '../../../components/states'
import { useLogin } from '../../../lib/auth'
import { he } from '../../../lib/strings'

export function LoginForm({ onSuccess, notice }: { onSuccess: () => void; notice?: string }) {
  const login = useLogin()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')

  function submit(event: FormEvent) {
    event.preventDefault()
    login.mutate({ email: email.trim(), password }, { onSuccess })
  }

  const showGeneral = login.error && !fieldError(login.error, 'email') && !fieldError(login.error, 'password')
  return (
    <form className="card login-card" onSubmit={submit} noValidate>
      <h1 className="brand-title">{he.appName}</h1>
      <p className="muted">{he.appTagline}</p>
      <h2>{he.login.title}</h2>
      {notice && <p className="notice">{notice}</p>}
      <Field
        label={he.login.email}
        name="email"
        type="email"
        dir="ltr"
        autoComplete="username"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldError(login.error, 'email')}
        required
      />
      <Field
        label={he.login.password}
        name="password"
        type="password"
        dir="ltr"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldError(login.error, 'password')}
        required
      />
      {showGeneral && <InlineError error={login.error} />}
      <button type="submit" className="btn btn-primary btn-block" disabled={login.isPending}>
        {login.isPending ? he.login.submitting : he.login.submit}
      </button>
    </form>
  )
}
