/** The merge driver's key policy (src/ops/git/merge-keys.ts): removals and rotations are never undone. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Metadata } from '../../../src/core/metadata.js'
import { MergeRefusedError } from '../../../src/errors.js'
import { mergeGroup, planKeyMerge, type SideKeys } from '../../../src/ops/git/merge-keys.js'

const K0 = new Uint8Array(32).fill(1)
const K1 = new Uint8Array(32).fill(2)
const K2 = new Uint8Array(32).fill(3)
const ref = (id: string) => ({ type: 'age', id })
const md = (groups: string[][], threshold?: number): Metadata => ({
  keyGroups: groups.map((g) => g.map((id) => ({ type: 'age', fields: { recipient: id, enc: `wrapped-for-${id}` } }))),
  ...(threshold ? { shamirThreshold: threshold } : {}),
  lastmodified: '2024-01-01T00:00:00Z', mac: '', version: '3.13.2', selectors: {}, extra: [],
})
const side = (groups: string[][], key: Uint8Array, threshold?: number): SideKeys => ({ metadata: md(groups, threshold), dataKey: key })
const ids = (groups: { id: string }[][]) => groups.map((g) => g.map((r) => r.id))

test('attack: a stale side still listing an offboarded recipient re-grants them — the removal on either side wins', () => {
  assert.equal(mergeGroup([ref('a'), ref('b'), ref('c')], [ref('a'), ref('b'), ref('c')], [ref('a'), ref('c')]).map((r) => r.id), ['a', 'c'])
  assert.equal(mergeGroup([ref('a'), ref('b'), ref('c')], [ref('a'), ref('c')], [ref('a'), ref('b'), ref('c')]).map((r) => r.id), ['a', 'c'])
  const p = planKeyMerge('f', side([['a', 'b', 'c']], K0), side([['a', 'b', 'c']], K0), side([['a', 'c']], K1))
  assert.equal(ids(p.groups), [['a', 'c']])
  assert.is(p.keepOurs, false) // a fresh key: the one bob held (K0) must not survive
  assert.equal(p.removed.map((r) => r.id), ['b'])
  assert.equal(p.rotated, ['theirs'])
})

test('additions on either side are kept; a removal and an addition on different sides both apply', () => {
  const p = planKeyMerge('f', side([['a', 'b']], K0), side([['a', 'b', 'd']], K0), side([['a']], K1))
  assert.equal(ids(p.groups), [['a', 'd']])
  assert.is(p.keepOurs, false)
  assert.equal(p.added, [])
  assert.equal(p.removed.map((r) => r.id), ['b'])
  const q = planKeyMerge('f', side([['a']], K0), side([['a']], K0), side([['a', 'd']], K0)) // theirs added d, kept the key
  assert.equal(ids(q.groups), [['a', 'd']])
  assert.equal(q.added.map((r) => r.id), ['d'])
  assert.is(q.keepOurs, false)
})

test('attack: a rotation on theirs dropped by keeping ours\' older key — any rotation on theirs means a new key', () => {
  const p = planKeyMerge('f', side([['a', 'b']], K0), side([['a', 'b']], K0), side([['a', 'b']], K1))
  assert.is(p.keepOurs, false)
  assert.equal(p.rotated, ['theirs'])
  // ours rotated, theirs did not: ours' key is already the newest, keep it (ciphertext reuse)
  const q = planKeyMerge('f', side([['a', 'b']], K0), side([['a', 'b']], K1), side([['a', 'b']], K0))
  assert.is(q.keepOurs, true)
  // both rotated: a fresh key
  assert.is(planKeyMerge('f', side([['a', 'b']], K0), side([['a', 'b']], K1), side([['a', 'b']], K2)).keepOurs, false)
  // nothing changed about keys: ours kept
  assert.is(planKeyMerge('f', side([['a', 'b']], K0), side([['a', 'b']], K0), side([['b', 'a']], K0)).keepOurs, true)
})

test('no base (added on both sides): only recipients both list; an empty result or different group counts are refused', () => {
  const p = planKeyMerge('f', null, side([['a', 'b']], K0), side([['a', 'c']], K1))
  assert.equal(ids(p.groups), [['a']])
  assert.is(p.keepOurs, false)
  assert.throws(() => planKeyMerge('f', null, side([['a']], K0), side([['c']], K1)), (e: unknown) => e instanceof MergeRefusedError && /without any recipient/.test((e as Error).message))
  assert.throws(() => planKeyMerge('f', side([['a']], K0), side([['a']], K0), side([['a'], ['b']], K1, 2)), (e: unknown) => e instanceof MergeRefusedError && (e as MergeRefusedError).exitCode === 45)
})

test('shamir: per-group merge; a side that raised the threshold wins, both changed → the higher one', () => {
  const base = side([['a', 'x'], ['b'], ['c']], K0, 2)
  const p = planKeyMerge('f', base, side([['a', 'x'], ['b'], ['c']], K0, 3), side([['a'], ['b'], ['c']], K1, 2))
  assert.equal(ids(p.groups), [['a'], ['b'], ['c']])
  assert.is(p.threshold, 3)
  const q = planKeyMerge('f', side([['a'], ['b'], ['c']], K0, 3), side([['a'], ['b'], ['c']], K0, 2), side([['a'], ['b'], ['c']], K0, 3))
  assert.is(q.threshold, 2) // only ours changed it
})

test.run()
