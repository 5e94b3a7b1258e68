// Starts the real server (web + job worker) on a free 127.0.0.1 port with a fresh SQLite
// database in a temporary folder, creates the platform admin, and stops both afterwards.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, openSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ADMIN = { email: 'admin@e2e.kesher.test', password: 'e2e-admin-pass-1' }
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const PYTHON = join(ROOT, '.venv', 'bin', 'python')

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))))
    })
  })
}

async function waitForHealth(url: string, child: ChildProcess, logFile: string) {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}; see ${logFile}`)
    try {
      const response = await fetch(`${url}/health`)
      if (response.ok) return
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`server did not answer /health within 60 s; see ${logFile}`)
}

export default async function globalSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'kesher-e2e-'))
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    APP_ENV: 'development',
    SECRET_KEY: `e2e-${Math.random().toString(36).slice(2)}-${Date.now()}`,
    DATABASE_URL: `sqlite:///${join(dir, 'kesher.db')}`,
    HUEY_SQLITE_PATH: join(dir, 'huey.db'),
    LOG_DIR: join(dir, 'logs'),
    MEDIA_DIR: join(dir, 'media'),
    LOGIN_RATE_LIMIT: '100 per minute',
    FLASK_APP: 'server.app_factory:create_app',
    PORT: String(port),
    BIND: '127.0.0.1',
    PYTHONUNBUFFERED: '1',
  }
  for (const key of ['REDIS_URL', 'TEST_DATABASE_URL', 'HOST', 'TWILIO_AUTH_TOKEN', 'TWILIO_ACCOUNT_SID', 'OPENAI_API_KEY']) delete env[key]

  const run = (...args: string[]) => execFileSync(PYTHON, args, { cwd: ROOT, env, stdio: 'pipe' })
  run('-m', 'flask', 'db', 'upgrade', 'heads')
  run('-m', 'flask', 'create-user', '--email', ADMIN.email, '--password', ADMIN.password, '--role', 'admin')

  const logFile = join(dir, 'server.log')
  const out = openSync(logFile, 'a')
  const server = spawn(PYTHON, ['-m', 'server.main'], { cwd: ROOT, env, stdio: ['ignore', out, out] })
  const worker = spawn(PYTHON, ['-m', 'server.worker'], { cwd: ROOT, env, stdio: ['ignore', out, out] })
  const baseURL = `http://127.0.0.1:${port}`
  try {
    await waitForHealth(baseURL, server, logFile)
  } catch (error) {
    server.kill('SIGTERM')
    worker.kill('SIGTERM')
    throw error
  }
  process.env.E2E_BASE_URL = baseURL
  process.env.E2E_SERVER_LOG = logFile
  console.log(`e2e server: ${baseURL} (database and log in ${dir}; E2E_KEEP=1 keeps them)`)

  return async () => {
    for (const child of [server, worker]) child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    for (const child of [server, worker]) if (child.exitCode === null) child.kill('SIGKILL')
    if (!process.env.E2E_KEEP) rmSync(dir, { recursive: true, force: true })
  }
}
