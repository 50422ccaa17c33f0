/** Three-way key-by-key merge of plaintext trees. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mergeTrees, sameNode } from '../../src/core/tree-merge.js'
import { comment, mapping, pair, scalar, sequence, str, type Mapping, type Node, type Tree } from '../../src/core/tree.js'

const int = (n: number) => scalar('int', String(n))
const tree = (...branches: Mapping[]): Tree => ({ branches })
const doc = (obj: Record<string, Node>): Mapping => mapping(Object.entries(obj).map(([k, v]) => pair(k, v)))
const keys = (m: Mapping): string[] => m.entries.map((e) => (e.kind === 'pair' ? e.key : `#${e.text}`))
const get = (m: Mapping, k: string): Node | undefined => m.entries.find((e) => e.kind === 'pair' && e.key === k)?.kind === 'pair' ? (m.entries.find((e) => e.kind === 'pair' && e.key === k) as { value: Node }).value : undefined
const text = (n: Node | undefined): string | undefined => (n?.kind === 'scalar' ? n.text : undefined)

const base = () => doc({ a: str('1'), b: str('2'), c: str('3') })

test('a key changed on one side only takes that side', () => {
  const ours = doc({ a: str('A'), b: str('2'), c: str('3') })
  const theirs = doc({ a: str('1'), b: str('2'), c: str('C') })
  const r = mergeTrees(tree(base()), tree(ours), tree(theirs))
  assert.equal(r.conflicts, [])
  assert.ok(r.changed)
  const m = r.tree.branches[0]!
  assert.equal(keys(m), ['a', 'b', 'c'])
  assert.is(text(get(m, 'a')), 'A')
  assert.is(text(get(m, 'c')), 'C')
})

test('the same change on both sides is not a conflict; nothing changed vs ours', () => {
  const ours = doc({ a: str('X'), b: str('2'), c: str('3') })
  const r = mergeTrees(tree(base()), tree(ours), tree(doc({ a: str('X'), b: str('2'), c: str('3') })))
  assert.equal(r.conflicts, [])
  assert.not.ok(r.changed)
  assert.is(text(get(r.tree.branches[0]!, 'a')), 'X')
})

test('different changes to the same key conflict and leave ours', () => {
  const ours = doc({ a: str('1'), b: str('O'), c: str('3') })
  const theirs = doc({ a: str('1'), b: str('T'), c: str('3') })
  const r = mergeTrees(tree(base()), tree(ours), tree(theirs))
  assert.equal(r.conflicts, [{ branch: 0, path: ['b'] }])
  assert.not.ok(r.changed)
  assert.is(r.tree.branches[0], ours)
})

test('a type change counts as a change (int 2 vs str "2")', () => {
  const b = doc({ n: int(2) })
  const r = mergeTrees(tree(b), tree(doc({ n: int(3) })), tree(doc({ n: str('2') })))
  assert.equal(r.conflicts.map((c) => c.path), [['n']])
})

test('added keys: from theirs placed after the key they follow, both sides adding the same is fine', () => {
  const ours = doc({ a: str('1'), b: str('2'), c: str('3'), z: str('new') })
  const theirs = doc({ a: str('1'), n: str('theirs'), b: str('2'), c: str('3'), z: str('new') })
  const r = mergeTrees(tree(base()), tree(ours), tree(theirs))
  assert.equal(r.conflicts, [])
  assert.equal(keys(r.tree.branches[0]!), ['a', 'n', 'b', 'c', 'z'])
})

test('the same key added on both sides with different values conflicts', () => {
  const r = mergeTrees(tree(base()), tree(doc({ ...Object.fromEntries([['a', str('1')], ['b', str('2')], ['c', str('3')]]), x: str('o') })), tree(doc({ a: str('1'), b: str('2'), c: str('3'), x: str('t') })))
  assert.equal(r.conflicts.map((c) => c.path), [['x']])
})

test('removed keys: removed on one side, unchanged on the other → removed; removed vs changed → conflict', () => {
  const r1 = mergeTrees(tree(base()), tree(doc({ a: str('1'), c: str('3') })), tree(doc({ a: str('1'), b: str('2'), c: str('C') })))
  assert.equal(r1.conflicts, [])
  assert.equal(keys(r1.tree.branches[0]!), ['a', 'c'])
  assert.is(text(get(r1.tree.branches[0]!, 'c')), 'C')
  const r2 = mergeTrees(tree(base()), tree(doc({ a: str('1'), b: str('2'), c: str('3') })), tree(doc({ a: str('1'), c: str('3') })))
  assert.equal(keys(r2.tree.branches[0]!), ['a', 'c'])
  const r3 = mergeTrees(tree(base()), tree(doc({ a: str('1'), c: str('3') })), tree(doc({ a: str('1'), b: str('B'), c: str('3') })))
  assert.equal(r3.conflicts.map((c) => c.path), [['b']])
  const r4 = mergeTrees(tree(base()), tree(doc({ a: str('1'), b: str('B'), c: str('3') })), tree(doc({ a: str('1'), c: str('3') })))
  assert.equal(r4.conflicts.map((c) => c.path), [['b']])
})

test('nested maps merge key by key; conflicts carry the full path', () => {
  const b = doc({ db: doc({ user: str('u'), pass: str('p') }) })
  const o = doc({ db: doc({ user: str('U'), pass: str('p') }) })
  const t = doc({ db: doc({ user: str('u'), pass: str('P') }) })
  const r = mergeTrees(tree(b), tree(o), tree(t))
  assert.equal(r.conflicts, [])
  const db = get(r.tree.branches[0]!, 'db') as Mapping
  assert.is(text(get(db, 'user')), 'U')
  assert.is(text(get(db, 'pass')), 'P')
  const c = mergeTrees(tree(b), tree(doc({ db: doc({ user: str('X'), pass: str('p') }) })), tree(doc({ db: doc({ user: str('Y'), pass: str('p') }) })))
  assert.equal(c.conflicts, [{ branch: 0, path: ['db', 'user'] }])
})

test('lists are atomic: one side changing a list wins, both changing it conflicts', () => {
  const b = doc({ hosts: sequence([str('a'), str('b')]) })
  const r = mergeTrees(tree(b), tree(doc({ hosts: sequence([str('a'), str('b'), str('c')]) })), tree(b))
  assert.equal(r.conflicts, [])
  assert.is((get(r.tree.branches[0]!, 'hosts') as { items: unknown[] }).items.length, 3)
  const c = mergeTrees(tree(b), tree(doc({ hosts: sequence([str('x')]) })), tree(doc({ hosts: sequence([str('y')]) })))
  assert.equal(c.conflicts.map((x) => x.path), [['hosts']])
})

test('comments follow ours; a key added by theirs brings its comment; a removed key takes its end-of-line comment', () => {
  const b = mapping([comment(' header'), pair('a', str('1')), comment(' eol of b', true), pair('b', str('2'))])
  const o = mapping([comment(' header (ours)'), pair('a', str('1')), comment(' eol of b', true), pair('b', str('2'))])
  const t = mapping([comment(' header (theirs)'), pair('a', str('1')), comment(' about n'), pair('n', str('new'))])
  const r = mergeTrees(tree(b), tree(o), tree(t))
  assert.equal(r.conflicts, [])
  assert.equal(keys(r.tree.branches[0]!), ['# header (ours)', 'a', '# about n', 'n'])
})

test('a file added on both sides (no base): equal keys merge, different values conflict', () => {
  const r = mergeTrees(null, tree(doc({ a: str('1'), o: str('x') })), tree(doc({ a: str('1'), t: str('y') })))
  assert.equal(r.conflicts, [])
  assert.equal(keys(r.tree.branches[0]!), ['a', 't', 'o']) // theirs' key follows the key it follows in theirs
  const c = mergeTrees(null, tree(doc({ a: str('1') })), tree(doc({ a: str('2') })))
  assert.equal(c.conflicts.map((x) => x.path), [['a']])
})

test('several documents merge one by one', () => {
  const b = tree(doc({ a: str('1') }), doc({ b: str('2') }))
  const r = mergeTrees(b, tree(doc({ a: str('A') }), doc({ b: str('2') })), tree(doc({ a: str('1') }), doc({ b: str('B') })))
  assert.equal(r.conflicts, [])
  assert.is(text(get(r.tree.branches[0]!, 'a')), 'A')
  assert.is(text(get(r.tree.branches[1]!, 'b')), 'B')
  const c = mergeTrees(b, tree(doc({ a: str('1') }), doc({ b: str('O') })), tree(doc({ a: str('1') }), doc({ b: str('T') })))
  assert.equal(c.conflicts, [{ branch: 1, path: ['b'] }])
})

test('inputs are not mutated and equality ignores style', () => {
  const o = doc({ a: scalar('str', '1', { quoted: true }), b: str('2') })
  const snapshot = JSON.stringify(o)
  mergeTrees(tree(base()), tree(o), tree(doc({ a: str('1'), b: str('B') })))
  assert.is(JSON.stringify(o), snapshot)
  assert.ok(sameNode(scalar('str', 'x', 1), scalar('str', 'x', 2)))
  assert.not.ok(sameNode(str('x'), scalar('int', 'x')))
})

test.run()
