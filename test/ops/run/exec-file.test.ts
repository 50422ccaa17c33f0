/** run --as-file: the child reads the decrypted file through a FIFO at {}; nothing is left behind. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileNameFor, plainName, runWithFile } from '../../../src/ops/run/exec-file.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { writeEncrypted } from '../../helpers/run.js'
import { isolatedEnv, runCli } from '../../helpers/cli.js'
import { CANARY } from '../../helpers/fixtures.js'
import { privateLeftovers } from '../../helpers/private-temp.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let runtime: string
const PLAIN = `{\n\t"token": "${CANARY}",\n\t"port": 8080\n}\n`
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'a')
  runtime = join(t.dir, 'runtime')
  mkdirSync(runtime, { mode: 0o700 })
  await writeEncrypted(t.dir, 'app.enc.json', PLAIN, 'json', k.recipient)
})
test.after(() => t.cleanup())

const opts = (extra: Record<string, unknown> = {}) => ({ cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, XDG_RUNTIME_DIR: runtime }), ...extra })
const node = (code: string, ...args: string[]) => [process.execPath, '-e', code, ...args]

test('plainName drops .enc', () => {
  assert.is(plainName('/x/secrets.enc.yaml'), 'secrets.yaml')
  assert.is(plainName('.env.enc'), '.env')
  assert.is(plainName('config.json'), 'config.json')
})

test('the child reads the plaintext from a FIFO at {} (0600, private folder); it is gone afterwards', async () => {
  const out = join(t.dir, 'seen.json')
  const code = await runWithFile('app.enc.json', node(`
    const fs = require('fs'), path = require('path')
    const p = process.argv[1]
    const st = fs.statSync(p), dir = fs.statSync(path.dirname(p))
    fs.writeFileSync(process.argv[2], JSON.stringify({ fifo: st.isFIFO(), mode: st.mode & 0o777, dirMode: dir.mode & 0o777, name: path.basename(p), text: fs.readFileSync(p, 'utf8') }))`, '{}', out), opts())
  assert.is(code, 0)
  const seen = JSON.parse(readFileSync(out, 'utf8'))
  assert.equal(seen, { fifo: true, mode: 0o600, dirMode: 0o700, name: 'app.json', text: PLAIN })
  assert.equal(privateLeftovers(runtime), [])
})

test('{} is replaced inside arguments; a non-zero exit passes through and cleans up', async () => {
  const out = join(t.dir, 'arg.txt')
  const code = await runWithFile('app.enc.json', node(`require('fs').writeFileSync(process.argv[2], process.argv[1]); require('fs').readFileSync(process.argv[1].slice(7)); process.exit(3)`, 'config={}', out), opts())
  assert.is(code, 3)
  assert.match(readFileSync(out, 'utf8'), /^config=.*\/app\.json$/)
  assert.equal(privateLeftovers(runtime), [])
})

test('a child that never opens the FIFO does not hang run', async () => {
  assert.is(await runWithFile('app.enc.json', node('process.exit(0)', '{}'), opts()), 0)
  assert.is(await runWithFile('app.enc.json', node('process.kill(process.pid, "SIGKILL")', '{}'), opts()), 137)
  assert.equal(privateLeftovers(runtime), [])
})

test('a child that reads only part of a large file does not hang run', async () => {
  const big = JSON.stringify({ blob: 'x'.repeat(300_000) })
  await writeEncrypted(t.dir, 'big.enc.json', big, 'json', k.recipient)
  const code = await runWithFile('big.enc.json', node(`const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'r'); fs.readSync(fd, Buffer.alloc(10)); process.exit(4)`, '{}'), opts())
  assert.is(code, 4)
  assert.equal(privateLeftovers(runtime), [])
})

test('noFifo: a 0600 file, removed afterwards; key variables are not inherited', async () => {
  const out = join(t.dir, 'file.json')
  const code = await runWithFile('app.enc.json', node(`
    const fs = require('fs'); const st = fs.statSync(process.argv[1])
    fs.writeFileSync(process.argv[2], JSON.stringify({ file: st.isFile(), mode: st.mode & 0o777, key: process.env.SOPS_AGE_KEY_FILE ?? null, text: fs.readFileSync(process.argv[1], 'utf8') }))`, '{}', out), opts({ noFifo: true }))
  assert.is(code, 0)
  assert.equal(JSON.parse(readFileSync(out, 'utf8')), { file: true, mode: 0o600, key: null, text: PLAIN })
  assert.equal(privateLeftovers(runtime), [])
})

test('a command that cannot start: 127, nothing created', async () => {
  try {
    await runWithFile('app.enc.json', ['definitely-not-a-command-xyz', '{}'], opts())
    assert.unreachable()
  } catch (e) {
    assert.is((e as { exitCode: number }).exitCode, 127)
  }
  assert.equal(privateLeftovers(runtime), [])
})

test('--filename .. (or a path, or .) escaping the private folder: a UsageError before anything is decrypted, not an internal error', async () => {
  assert.is(fileNameFor('db.yaml', 'x.enc.yaml'), 'db.yaml')
  assert.is(fileNameFor(undefined, 'x.enc.yaml'), 'x.yaml')
  for (const bad of ['..', '.', '', '../escape.json', 'sub/app.json', '/etc/passwd', 'a\\b']) {
    try {
      await runWithFile('app.enc.json', node('process.exit(0)', '{}'), opts({ filename: bad }))
      assert.unreachable(bad)
    } catch (e) {
      assert.is((e as { code?: string }).code, 'USAGE', `${bad}: ${String(e)}`)
      assert.match((e as Error).message, /plain file name/)
    }
  }
  assert.equal(privateLeftovers(runtime), [])
  const r = await runCli(['run', '--as-file', 'app.enc.json', '--filename', '..', '--', 'true', '{}'], { cwd: t.dir, env: opts().env })
  assert.is(r.code, 1, r.stderr)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^sops-like: --filename must be a plain file name/)
  const dry = await runCli(['run', '--dry-run', '--as-file', 'app.enc.json', '--filename', 'a/b', '--', 'true', '{}'], { cwd: t.dir, env: opts().env })
  assert.is(dry.code, 1, dry.stderr)
})

test.run()
