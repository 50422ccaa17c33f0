/**
 * Atomic writes: the target is replaced whole, its mode kept; the temp beside it carries the
 * writer's PID, and temps of the same target left by a process that is gone (SIGKILL) are
 * removed by the next write. (Crash and signal cases: test/adversarial/crash.test.ts.)
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../../src/io/atomic-write.js'
import { tempDir } from '../helpers/keys.js'

const t = tempDir('sops-like-atomic-')
test.after(() => t.cleanup())

const deadPid = (): string => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout

test('replaces the target, keeps its mode, leaves no temp', () => {
  const f = join(t.dir, 'a.yaml')
  writeFileSync(f, 'old\n')
  chmodSync(f, 0o640)
  writeFileAtomic(f, Buffer.from('new\n'))
  assert.is(readFileSync(f, 'utf8'), 'new\n')
  assert.is(statSync(f).mode & 0o777, 0o640)
  assert.equal(readdirSync(t.dir).filter((n) => n !== 'a.yaml'), [])
})

test("temps of a dead writer are swept by the next write of that target; others' are kept", () => {
  const f = join(t.dir, 'b.yaml')
  writeFileSync(f, 'v1\n')
  const dead = deadPid()
  const stale = `.b.yaml.${dead}.0123456789ab.tmp`
  const live = `.b.yaml.${process.ppid}.0123456789ab.tmp` // a process that exists
  const otherTarget = `.b.yaml.x.${dead}.0123456789ab.tmp` // a temp of target "b.yaml.x"
  const notOurs = `.b.yaml.${dead}.tmp`
  for (const n of [stale, live, otherTarget, notOurs]) writeFileSync(join(t.dir, n), 'ciphertext\n', { mode: 0o600 })
  writeFileAtomic(f, Buffer.from('v2\n'))
  const left = readdirSync(t.dir)
  assert.not.ok(left.includes(stale), 'stale temp removed')
  for (const n of [live, otherTarget, notOurs]) assert.ok(left.includes(n), `${n} kept`)
  assert.is(readFileSync(f, 'utf8'), 'v2\n')
})

test.run()
