/**
 * In-place targets: a FIFO, a device or a folder is refused before it is read (a FIFO used to
 * hang `encrypt -i` forever), and `set`/`unset`/`edit` refuse a read-only file unless forced
 * (the atomic rename would otherwise replace a file its owner made read-only).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { chmodSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertInPlaceTarget } from '../../src/io/in-place.js'
import { NotRegularFileError, ReadOnlyFileError } from '../../src/errors.js'
import { decryptFile, encryptFile } from '../../src/ops/crypt/files.js'
import { setValue } from '../../src/ops/edit/set.js'
import { rotateFiles } from '../../src/ops/keys/rotate.js'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let n = 0
test.before(async () => {
  t = tempDir('sops-like-inplace-')
  k = await makeAgeKey(t.dir)
})
test.after(() => t.cleanup())

const env = () => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, XDG_RUNTIME_DIR: t.dir })
const fifo = (): string => {
  const p = join(t.dir, `pipe${n++}.yaml`)
  execFileSync('mkfifo', [p])
  return p
}
async function encryptedFile(mode = 0o644): Promise<string> {
  const p = join(t.dir, `f${n++}.yaml`)
  writeFileSync(p, 'a: 1\nb: two\n')
  await encryptFile(p, { age: [k.recipient], inPlace: true, cwd: t.dir })
  chmodSync(p, mode)
  return p
}
const code = (e: unknown): string | undefined => (e as { code?: string }).code

test('assertInPlaceTarget: regular files (and links to one) and missing files pass; FIFO, device, folder do not', () => {
  const f = join(t.dir, 'plain.txt')
  writeFileSync(f, 'x')
  assertInPlaceTarget(f)
  const link = join(t.dir, 'link.txt')
  symlinkSync(f, link)
  assertInPlaceTarget(link, { refuseReadOnly: true })
  assertInPlaceTarget(join(t.dir, 'missing.yaml'), { refuseReadOnly: true })
  for (const [p, what] of [[fifo(), /FIFO/], ['/dev/null', /device/], [t.dir, /folder/]] as const) {
    try {
      assertInPlaceTarget(p)
      assert.unreachable(p)
    } catch (e) {
      assert.instance(e, NotRegularFileError)
      assert.is((e as NotRegularFileError).exitCode, 43)
      assert.match((e as Error).message, what)
    }
  }
  chmodSync(f, 0o444)
  assertInPlaceTarget(f) // read-only only matters when asked
  assert.throws(() => assertInPlaceTarget(f, { refuseReadOnly: true }), (e: unknown) => e instanceof ReadOnlyFileError && e.exitCode === 42 && /mode 0444/.test(e.message))
})

test('encrypt -i / decrypt -i / rotate on a FIFO: refused at once instead of hanging on the read', async () => {
  for (const run of [
    (p: string) => encryptFile(p, { age: [k.recipient], inPlace: true, cwd: t.dir }),
    (p: string) => decryptFile(p, { inPlace: true, cwd: t.dir, env: env() }),
  ]) {
    const p = fifo()
    try {
      await run(p)
      assert.unreachable('accepted a FIFO')
    } catch (e) {
      assert.is(code(e), 'NOT_REGULAR_FILE', String(e))
    }
    assert.ok(statSync(p).isFIFO())
  }
  const r = await rotateFiles([fifo()], { cwd: t.dir, env: env() })
  assert.is(r.failures.length, 1)
  assert.is(r.failures[0]!.code, 'NOT_REGULAR_FILE')
  const cli = await runCli(['encrypt', '-i', '--age', k.recipient, fifo()], { cwd: t.dir, env: env() })
  assert.is(cli.code, 43, cli.stderr)
  assert.match(cli.stderr, /^sops-like: .*FIFO.*not a regular file/)
})

test('set on a read-only (0444) file: ReadOnlyFileError, file unchanged; force rewrites it and keeps the mode', async () => {
  const p = await encryptedFile(0o444)
  const before = readFileSync(p)
  try {
    await setValue(p, '["a"]', { kind: 'scalar', type: 'int', text: '2' }, { cwd: t.dir, env: env() })
    assert.unreachable('accepted a read-only file')
  } catch (e) {
    assert.is(code(e), 'READ_ONLY', String(e))
  }
  assert.ok(readFileSync(p).equals(before))
  await setValue(p, '["a"]', { kind: 'scalar', type: 'int', text: '2' }, { cwd: t.dir, env: env(), force: true })
  assert.not.ok(readFileSync(p).equals(before))
  assert.is(statSync(p).mode & 0o777, 0o444)
})

test('CLI: set/unset on a read-only file exit 42 with one line; --force writes', async () => {
  const p = await encryptedFile(0o400)
  const before = readFileSync(p)
  for (const args of [['set', p, '["a"]', '3'], ['unset', p, '["b"]']]) {
    const r = await runCli(args, { cwd: t.dir, env: env() })
    assert.is(r.code, 42, r.stderr)
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /read-only/)
  }
  assert.ok(readFileSync(p).equals(before))
  const ok = await runCli(['set', '--force', p, '["a"]', '3'], { cwd: t.dir, env: env() })
  assert.is(ok.code, 0, ok.stderr)
  assert.match((await runCli(['decrypt', '--extract', '["a"]', p], { cwd: t.dir, env: env() })).stdout, /^3/)
})

test.run()
