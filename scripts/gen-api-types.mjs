// `npm run gen:api`: src/types/api.generated.ts from the server's OpenAPI document.
//   node scripts/gen-api-types.mjs [--from openapi.json] [--out file.ts]
// Without --from, the document comes from `python -m server.openapi_dump` (PYTHON, else
// .venv/bin/python, else python3). server/tests/test_generated_types.py runs this same
// script on the test app's document and fails when the committed file differs.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback)
const out = option('--out', join(root, 'src/types/api.generated.ts'))
const work = mkdtempSync(join(tmpdir(), 'kesher-api-'))
try {
  let from = option('--from', null)
  if (!from) {
    from = join(work, 'openapi.json')
    const venv = join(root, '.venv/bin/python')
    const python = process.env.PYTHON || (existsSync(venv) ? venv : 'python3')
    execFileSync(python, ['-m', 'server.openapi_dump', from], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  }
  // Fields a response sends only sometimes are optional (`?`), never "required because of a default".
  const bin = join(root, 'node_modules/.bin/openapi-typescript')
  execFileSync(bin, [from, '--output', out, '--default-non-nullable', 'false', '--alphabetize'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
} finally {
  rmSync(work, { recursive: true, force: true })
}
