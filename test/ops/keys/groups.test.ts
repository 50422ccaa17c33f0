/** groups add / delete through the library (src/ops/keys/groups.ts), in every format; the CLI side is test/cli/groups.test.ts. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { openBytes, parseEncrypted } from '../../../src/ops/crypt/decrypt.js'
import { addKeyGroup, deleteKeyGroup, parseNewGroup } from '../../../src/ops/keys/groups.js'
import { createAgeRecipient, createAgeIdentity } from '../../../src/keys/age.js'
import type { FormatName } from '../../../src/formats/index.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY } from '../../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey, C: TestKey
let n = 0
test.before(async () => {
  t = tempDir()
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  C = await makeAgeKey(t.dir, 'c')
})
test.after(() => t.cleanup())

const INPUTS: Array<[FormatName, string, string]> = [
  ['yaml', 'yaml', `a: ${CANARY}\nn: 1\n`],
  ['json', 'json', `{"a": "${CANARY}", "n": 1}`],
  ['dotenv', 'env', `A=${CANARY}\n`],
  ['ini', 'ini', `[s]\na = ${CANARY}\n`],
  ['toml', 'toml', `a = "${CANARY}"\n`],
  ['binary', 'bin', `${CANARY}\n`],
]
const env = { HOME: '/nonexistent-home', PATH: process.env.PATH ?? '' }
const ids = (...keys: TestKey[]) => [createAgeIdentity(keys.map((k) => k.identity), 'test keys')]
async function file(fmt: FormatName, ext: string, plain: string, groups: TestKey[][], threshold?: number): Promise<string> {
  const p = join(t.dir, `g${n++}.${ext}`)
  writeFileSync(p, await encryptBytes(Buffer.from(plain), { inputFormat: fmt, groups: groups.map((g) => g.map((k) => createAgeRecipient(k.recipient))), ...(threshold ? { threshold } : {}) }))
  return p
}
const opened = (bytes: Uint8Array, fmt: FormatName, ...keys: TestKey[]) => openBytes(bytes, { inputFormat: fmt, identities: ids(...keys), env })

for (const [fmt, ext, plain] of INPUTS) {
  test(`${fmt}: add a group, then delete it again (emit; values kept on add, rotated on delete)`, async () => {
    const p = await file(fmt, ext, plain, [[A]])
    const before = readFileSync(p)
    let out: Uint8Array = new Uint8Array()
    const add = await addKeyGroup(p, { age: [B.recipient] }, { identities: ids(A), env, emit: (b) => { out = b } })
    assert.equal(add.keyGroups.map((g) => g.length), [1, 1])
    assert.is(add.shamirThreshold, 2)
    assert.ok(readFileSync(p).equals(before), 'not written without inPlace')
    const md = (await parseEncrypted(out, fmt)).metadata
    assert.is(md.keyGroups.length, 2)
    assert.is(md.mac, (await parseEncrypted(before, fmt)).metadata.mac, 'same data key: the MAC is untouched')
    await assert.not.throws(async () => opened(out, fmt, A, B))
    try {
      await opened(out, fmt, A)
      assert.unreachable('one group of two opens nothing')
    } catch (e) {
      assert.is((e as { exitCode?: number }).exitCode, 128)
    }
    writeFileSync(p, out)
    const del = await deleteKeyGroup(p, 1, { identities: ids(A, B), env, threshold: 1, inPlace: true })
    assert.ok(del.rotated)
    assert.equal(del.removed.map((r) => r.id), [B.recipient])
    const after = readFileSync(p)
    assert.is((await parseEncrypted(after, fmt)).metadata.keyGroups.length, 1)
    assert.is.not((await parseEncrypted(after, fmt)).metadata.mac, md.mac)
    const doc = await opened(after, fmt, A)
    assert.ok(JSON.stringify(doc.tree).includes(CANARY))
  })
}

test('parseNewGroup: every kind, in sops\' order (pgp, kms, vault, age); an empty group is refused', async () => {
  const refs = await parseNewGroup({ age: [A.recipient], pgp: ['FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'] })
  assert.equal(refs.map((r) => r.type), ['pgp', 'age'])
  try {
    await parseNewGroup({})
    assert.unreachable()
  } catch (e) {
    assert.is((e as { exitCode?: number }).exitCode, 1)
  }
})

test('delete: the threshold left above the group count is refused as sops; an out-of-range index and the only group are refused', async () => {
  const p = await file('yaml', 'yaml', `a: ${CANARY}\n`, [[A], [B], [C]], 3)
  const before = readFileSync(p)
  const fails = async (f: () => Promise<unknown>, code: number, re: RegExp) => {
    try {
      await f()
      assert.unreachable()
    } catch (e) {
      assert.is((e as { exitCode?: number }).exitCode, code)
      assert.match((e as Error).message, re)
    }
  }
  await fails(() => deleteKeyGroup(p, 0, { identities: ids(A, B, C), env, inPlace: true }), 1, /Shamir threshold is 3, but we only have 2 key groups/)
  await fails(() => deleteKeyGroup(p, 3, { identities: ids(A, B, C), env, inPlace: true }), 1, /no key group 3/)
  assert.ok(readFileSync(p).equals(before))
  const ok = await deleteKeyGroup(p, 0, { identities: ids(A, B, C), env, inPlace: true, threshold: 2 })
  assert.is(ok.shamirThreshold, 2)
  await opened(readFileSync(p), 'yaml', B, C)
  const single = await file('yaml', 'yaml', `a: ${CANARY}\n`, [[A, B]])
  await fails(() => deleteKeyGroup(single, 0, { identities: ids(A), env, inPlace: true }), 111, /only key group/)
})

test('add: a threshold above the group count is refused before anything is written (exit 30)', async () => {
  const p = await file('yaml', 'yaml', `a: ${CANARY}\n`, [[A]])
  const before = readFileSync(p)
  try {
    await addKeyGroup(p, { age: [B.recipient] }, { identities: ids(A), env, inPlace: true, threshold: 3 })
    assert.unreachable()
  } catch (e) {
    assert.is((e as { exitCode?: number }).exitCode, 30)
  }
  assert.ok(readFileSync(p).equals(before))
})

test.run()
