/**
 * README's first command ends in `npm run demo`: the demo must keep working on examples/
 * (every format round-trips, `run` sees the names) and print no secret value. Needs the
 * compiled CLI (`npm test` builds first).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

test('examples/demo.sh runs to the end; every example file round-trips', () => {
  assert.ok(existsSync(`${root}dist/cli/main.cjs`), 'build first (npm run build)')
  const r = spawnSync('bash', ['examples/demo.sh'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent-home' } })
  assert.is(r.status, 0, r.stdout + r.stderr)
  for (const f of ['app.env', 'config.json', 'settings.ini', 'settings.toml', 'notes.txt']) assert.match(r.stdout, new RegExp(`^ok   ${f.replace('.', '\\.')}$`, 'm'))
  assert.match(r.stdout, /^api_key db_host db_password db_port db_user$/m)
  assert.match(r.stdout, /demo finished/)
})

test.run()
