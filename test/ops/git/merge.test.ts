/**
 * The merge driver in-process (src/ops/git/merge.ts) on three files, no git: what %A
 * becomes when keys moved on one side and the values also conflict, or nothing else changed.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitMergeFiles } from '../../../src/ops/git/merge.js'
import { parseEncrypted } from '../../../src/ops/crypt/decrypt.js'
import { entryId } from '../../../src/keys/key-source.js'
import { runCli, isolatedEnv } from '../../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'

let t: ReturnType<typeof tempDir>
let a: TestKey, b: TestKey, c: TestKey
test.before(async () => {
  t = tempDir('sops-like-merge-')
  ;[a, b, c] = await Promise.all([makeAgeKey(t.dir, 'a'), makeAgeKey(t.dir, 'b'), makeAgeKey(t.dir, 'c')])
})
test.after(() => t.cleanup())

const env = (k: TestKey) => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file })
const p = (n: string) => join(t.dir, n)
async function cli(args: string[], k: TestKey = a) {
  const r = await runCli(args, { cwd: t.dir, env: env(k) })
  assert.is(r.code, 0, r.stderr)
  return r
}
const recipients = async (f: string) => (await parseEncrypted(readFileSync(p(f)), 'yaml')).metadata.keyGroups.flat().map(entryId).sort()

/** base (a, b, c) → ours: token changed; theirs: b removed (rotation) and token changed too. */
async function threeFiles(prefix: string): Promise<void> {
  writeFileSync(p(`${prefix}.plain.yaml`), 'user: admin\ntoken: t0\n')
  const e = await cli(['encrypt', '--age', [a, b, c].map((k) => k.recipient).join(','), p(`${prefix}.plain.yaml`)])
  writeFileSync(p(`${prefix}.base.yaml`), e.stdout)
  copyFileSync(p(`${prefix}.base.yaml`), p(`${prefix}.ours.yaml`))
  copyFileSync(p(`${prefix}.base.yaml`), p(`${prefix}.theirs.yaml`))
  await cli(['set', p(`${prefix}.ours.yaml`), '["token"]', '"ours"'])
  await cli(['rotate', '--rm-age', b.recipient, p(`${prefix}.theirs.yaml`)])
}

test('attack: a value conflict leaves %A as ours with the offboarded recipient still in — ours is re-encrypted to the merged recipients', async () => {
  await threeFiles('c1')
  await cli(['set', p('c1.theirs.yaml'), '["token"]', '"theirs"'])
  const r = await gitMergeFiles({ base: 'c1.base.yaml', ours: 'c1.ours.yaml', theirs: 'c1.theirs.yaml', path: 'secrets.enc.yaml', cwd: t.dir, env: env(a) })
  assert.equal(r, { status: 'conflict', conflicts: ['["token"]'], resealed: true })
  assert.equal(await recipients('c1.ours.yaml'), [a.recipient, c.recipient].sort())
  const d = await cli(['decrypt', p('c1.ours.yaml')])
  assert.is(d.stdout, 'user: admin\ntoken: ours\n') // ours' values, to resolve by hand
  const nb = await runCli(['decrypt', p('c1.ours.yaml')], { cwd: t.dir, env: env(b) })
  assert.is.not(nb.code, 0)
})

test('a clean merge with the removal on theirs: both changes, without b, a new key; the note names the removal', async () => {
  await threeFiles('c2')
  const r = await gitMergeFiles({ base: 'c2.base.yaml', ours: 'c2.ours.yaml', theirs: 'c2.theirs.yaml', path: 'secrets.enc.yaml', cwd: t.dir, env: env(c) })
  assert.is(r.status, 'merged')
  assert.match(r.status === 'merged' ? r.notes.join('\n') : '', /secrets\.enc\.yaml: recipients and data keys merged \(removed age age1\w+; kept the data key rotation of theirs\); the merged file has a new data key/)
  assert.equal(await recipients('c2.ours.yaml'), [a.recipient, c.recipient].sort())
  assert.is((await cli(['decrypt', p('c2.ours.yaml')], c)).stdout, 'user: admin\ntoken: ours\n')
})

test.run()
