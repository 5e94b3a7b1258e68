// Measures the JavaScript a first visit downloads: the entry script in dist/index.html and
// the chunks it preloads, gzipped (level 9, as a server would send them). Fails above the
// budget so the figure in the README stays true.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = 250
const dist = new URL('../dist/', import.meta.url).pathname
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const files = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\.?\/?([^"]+\.js)"/g)].map((m) => m[1])
if (files.length === 0) {
  console.error('no entry script found in dist/index.html')
  process.exit(1)
}
let raw = 0
let gz = 0
for (const file of files) {
  const bytes = readFileSync(join(dist, file))
  const zipped = gzipSync(bytes, { level: 9 }).length
  raw += bytes.length
  gz += zipped
  console.log(`${file}: ${(bytes.length / 1024).toFixed(1)} KB, ${(zipped / 1024).toFixed(1)} KB gzipped`)
}
console.log(`initial JavaScript: ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)`)
if (gz / 1024 > BUDGET_KB) {
  console.error('over budget')
  process.exit(1)
}
