/**
 * Data-key hygiene: buffers holding the data key (or a Shamir share of it) that no one
 * needs any more are zeroed — shares once wrapped or combined, a key unwrapped by
 * openTree when opening fails, a new key of sealTree when wrapping or sealing fails —
 * while a key still owned by someone (an opened document, a caller's `dataKey`) is kept.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { loadFormat } from '../../src/formats/index.js'
import { unwrapDataKey, wrapDataKey } from '../../src/core/data-key.js'
import { openTree, sealTree, splitEncrypted } from '../../src/core/document.js'
import { combine, split } from '../../src/core/shamir.js'
import type { Tree } from '../../src/core/tree.js'
import { MacMismatchError, NoIdentityError, RecipientError, TamperedValueError } from '../../src/errors.js'
import type { Identity, KeyEntry, Recipient } from '../../src/keys/key-source.js'
import { CANARY } from '../helpers/fixtures.js'

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0)
const isA = (C: new (...a: never[]) => Error) => (e: unknown): boolean => e instanceof C

/** uvu has no async throws(): awaits `f` and checks what it rejected with. */
async function rejects(f: () => Promise<unknown>, check: (e: unknown) => boolean = () => true): Promise<void> {
  try {
    await f()
  } catch (e) {
    assert.ok(check(e), `rejected with an unexpected error: ${String(e)}`)
    return
  }
  assert.unreachable('expected a rejection')
}

/** A recipient that keeps the buffer it was given (and a copy of its bytes at wrap time); `fail` makes wrap reject. */
function capturing(id: string, fail = false): Recipient & { seen: Uint8Array[]; copies: Uint8Array[] } {
  const seen: Uint8Array[] = []
  const copies: Uint8Array[] = []
  return {
    type: 'age',
    id,
    seen,
    copies,
    async wrap(key: Uint8Array): Promise<KeyEntry> {
      seen.push(key)
      copies.push(Uint8Array.from(key))
      if (fail) throw new RecipientError(`recipient ${id} cannot be used`)
      return { type: 'age', fields: { recipient: id, enc: Buffer.from(key).toString('hex') } }
    },
  }
}

/** An identity that opens entries written by `capturing` and hands out a FRESH buffer each time (recorded in `given`). */
function opening(): Identity & { given: Uint8Array[] } {
  const given: Uint8Array[] = []
  return {
    type: 'age',
    label: 'test identity',
    given,
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      const b = Uint8Array.from(Buffer.from(entry.fields.enc ?? '', 'hex'))
      given.push(b)
      return b
    },
  }
}

test('wrapDataKey with Shamir: every share is zeroed once wrapped; the data key itself is left alone', async () => {
  const key = randomBytes(32)
  const keep = Uint8Array.from(key)
  const rs = [capturing('a'), capturing('b'), capturing('c')]
  const wrapped = await wrapDataKey(key, rs.map((r) => [r]), 2)
  assert.is(wrapped.shamirThreshold, 2)
  for (const r of rs) {
    assert.is(r.seen.length, 1)
    assert.ok(isZero(r.seen[0]!), 'a share buffer is still readable after wrapping')
    assert.not.ok(isZero(r.copies[0]!), 'the share was not zero when it was wrapped')
  }
  assert.equal([...(await combine([rs[0]!.copies[0]!, rs[2]!.copies[0]!]))], [...keep], 'the wrapped shares still recombine to the key')
  assert.equal([...key], [...keep], 'the caller\'s data key was changed')
})

test('wrapDataKey with Shamir: shares are zeroed when a wrap fails too', async () => {
  const rs = [capturing('a'), capturing('b', true)]
  await rejects(() => wrapDataKey(randomBytes(32), rs.map((r) => [r])), isA(RecipientError))
  for (const r of rs) for (const b of r.seen) assert.ok(isZero(b))
})

test('wrapDataKey with one group: the key itself is wrapped and not zeroed (the caller still needs it)', async () => {
  const key = randomBytes(32)
  const keep = Uint8Array.from(key)
  await wrapDataKey(key, [[capturing('a')]])
  assert.equal([...key], [...keep])
})

test('unwrapDataKey with Shamir: the unwrapped shares are zeroed; the combined key is returned', async () => {
  const key = randomBytes(32)
  const shares = await split(key, 3, 2)
  const groups: KeyEntry[][] = shares.map((s, i) => [{ type: 'age', fields: { recipient: `r${i}`, enc: Buffer.from(s).toString('hex') } }])
  const id = opening()
  const out = await unwrapDataKey(groups, 2, [id])
  assert.equal([...out], [...key])
  assert.is(id.given.length, 3)
  for (const b of id.given) assert.ok(isZero(b), 'an unwrapped share is still readable')
  assert.not.ok(id.given.includes(out), 'the key returned is not one of the shares')
})

test('unwrapDataKey with Shamir: shares are zeroed when too few groups open', async () => {
  const shares = await split(randomBytes(32), 3, 3)
  const groups: KeyEntry[][] = shares.map((s, i) => [{ type: i === 2 ? 'pgp' : 'age', fields: { fp: `F${i}`, enc: Buffer.from(s).toString('hex') } }])
  const id = opening()
  await rejects(() => unwrapDataKey(groups, 3, [id]), isA(NoIdentityError))
  assert.is(id.given.length, 2)
  for (const b of id.given) assert.ok(isZero(b))
})

test('unwrapDataKey with one group: the identity\'s buffer is the key and stays intact', async () => {
  const key = randomBytes(32)
  const id = opening()
  const out = await unwrapDataKey([[{ type: 'age', fields: { recipient: 'r', enc: key.toString('hex') } }]], undefined, [id])
  assert.is(out, id.given[0])
  assert.equal([...out], [...key])
})

// ---------- openTree / sealTree ----------

const tree = (): Tree => ({ branches: [{ kind: 'map', entries: [
  { kind: 'pair', key: 'password', value: { kind: 'scalar', type: 'str', text: CANARY } },
  { kind: 'pair', key: 'note_unencrypted', value: { kind: 'scalar', type: 'str', text: 'visible' } },
] }] })

/** A JSON document sealed to a capturing recipient; `enc` holds the data key in hex (test-only "wrapping"). */
async function sealed() {
  const json = await loadFormat('json')
  const r = capturing('age1test')
  const s = await sealTree(tree(), json, { groups: [[r]] })
  return { ...splitEncrypted(s.tree, json), key: Uint8Array.from(s.dataKey) }
}

test('openTree: a key it unwrapped itself is zeroed when a value fails authentication', async () => {
  const { tree: data, metadata } = await sealed()
  const pw = data.branches[0]!.entries[0]!
  if (pw.kind !== 'pair' || pw.value.kind !== 'scalar') throw new Error('unexpected tree')
  pw.value.text = pw.value.text.replace(/data:(.)/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`)
  const id = opening()
  await rejects(() => openTree(data, metadata, { identities: [id] }), isA(TamperedValueError))
  assert.is(id.given.length, 1)
  assert.ok(isZero(id.given[0]!), 'the data key is still readable after a failed open')
})

test('openTree: a key it unwrapped itself is zeroed on a MAC mismatch', async () => {
  const { tree: data, metadata } = await sealed()
  const clear = data.branches[0]!.entries[1]!
  if (clear.kind !== 'pair' || clear.value.kind !== 'scalar') throw new Error('unexpected tree')
  clear.value.text = 'changed'
  const id = opening()
  await rejects(() => openTree(data, metadata, { identities: [id] }), isA(MacMismatchError))
  assert.ok(isZero(id.given[0]!))
})

test('openTree: on success the key stays in the document (set/edit re-encrypt with it)', async () => {
  const { tree: data, metadata, key } = await sealed()
  const id = opening()
  const doc = await openTree(data, metadata, { identities: [id] })
  assert.is(doc.dataKey, id.given[0])
  assert.equal([...doc.dataKey], [...key])
  const json = await loadFormat('json')
  const again = await sealTree(doc.tree, json, { reuse: doc })
  const back = splitEncrypted(again.tree, json)
  assert.is((await openTree(back.tree, back.metadata, { dataKey: key })).tree.branches[0]!.entries.length, 2)
})

test('openTree: a key passed in by the caller is never zeroed, not even on failure', async () => {
  const { tree: data, metadata, key } = await sealed()
  const clear = data.branches[0]!.entries[1]!
  if (clear.kind !== 'pair' || clear.value.kind !== 'scalar') throw new Error('unexpected tree')
  clear.value.text = 'changed'
  const mine = Uint8Array.from(key)
  await rejects(() => openTree(data, metadata, { dataKey: mine }), isA(MacMismatchError))
  assert.equal([...mine], [...key])
})

test('sealTree: a new data key is zeroed when wrapping it fails', async () => {
  const json = await loadFormat('json')
  const r = capturing('age1bad', true)
  await rejects(() => sealTree(tree(), json, { groups: [[r]] }), isA(RecipientError))
  assert.is(r.seen.length, 1)
  assert.not.ok(isZero(r.copies[0]!))
  assert.ok(isZero(r.seen[0]!), 'the new data key is still readable after the failed seal')
})

test('sealTree: a new data key is zeroed when a value cannot be encrypted; a reused one is kept', async () => {
  const json = await loadFormat('json')
  const bad = (): Tree => ({ branches: [{ kind: 'map', entries: [{ kind: 'pair', key: 'x', value: { kind: 'scalar', type: 'weird' as never, text: CANARY } }] }] })
  const r = capturing('age1ok')
  await rejects(() => sealTree(bad(), json, { groups: [[r]] }))
  assert.ok(isZero(r.seen[0]!))
  const { tree: data, metadata, key } = await sealed()
  const doc = await openTree(data, metadata, { dataKey: Uint8Array.from(key) })
  await rejects(() => sealTree(bad(), json, { reuse: doc }))
  assert.equal([...doc.dataKey], [...key], 'the opened document\'s key was zeroed')
})

test.run()
