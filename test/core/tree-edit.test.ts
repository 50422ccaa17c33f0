/** Pure set/unset by path (sops semantics, docs/format.md §10.3). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hasPath, nodesEqual, setAtPath, setInTree, unsetAtPath, unsetInTree } from '../../src/core/tree-edit.js'
import { parseTreePath } from '../../src/core/tree-path.js'
import { comment, mapping, pair, scalar, sequence, str, cloneNode, type Mapping, type Tree } from '../../src/core/tree.js'
import { InvalidPathError } from '../../src/errors.js'

const int = (n: number) => scalar('int', String(n))
const doc = (): Mapping =>
  mapping([
    comment(' head'),
    pair('db', mapping([pair('user', str('admin')), comment(' eol', true), pair('password', { ...str('old'), style: { q: 'double' } })])),
    pair('hosts', sequence([str('a'), comment(' between'), str('b')])),
    pair('n', int(1)),
  ])

const P = parseTreePath

test('set replaces an existing value, keeps the scalar style, does not mutate the input', () => {
  const before = doc()
  const snapshot = cloneNode(before)
  const r = setAtPath(before, P('["db"]["password"]'), str('new'))
  assert.ok(r.changed)
  assert.ok(nodesEqual(before, snapshot), 'input mutated')
  const db = r.result.entries[1]
  assert.is(db?.kind, 'pair')
  const pw = (db as { value: Mapping }).value.entries[2] as { value: { text: string; style: unknown } }
  assert.is(pw.value.text, 'new')
  assert.equal(pw.value.style, { q: 'double' })
  // the untouched subtree is shared, not copied
  assert.is(r.result.entries[2], before.entries[2])
})

test('set of an equal value reports no change; types matter', () => {
  assert.not.ok(setAtPath(doc(), P('["n"]'), int(1)).changed)
  assert.ok(setAtPath(doc(), P('["n"]'), scalar('float', '1')).changed)
  assert.ok(setAtPath(doc(), P('["n"]'), str('1')).changed)
  assert.not.ok(setAtPath(doc(), P('["hosts"]'), sequence([str('a'), comment(' between'), str('b')])).changed)
  assert.ok(setAtPath(doc(), P('["hosts"]'), sequence([str('a'), str('b')])).changed, 'comments count')
})

test('set appends a missing key at the end and creates intermediate maps and lists', () => {
  const r = setAtPath(doc(), P('["new"]["deep"][0]["x"]'), int(5))
  assert.ok(r.changed)
  const last = r.result.entries.at(-1)
  assert.ok(last?.kind === 'pair' && last.key === 'new')
  assert.ok(nodesEqual(last.value, mapping([pair('deep', sequence([mapping([pair('x', int(5))])]))])))
})

test('set on lists: index replaces (comments not counted), index past the end appends', () => {
  const r1 = setAtPath(doc(), P('["hosts"][1]'), str('B'))
  assert.ok(nodesEqual((r1.result.entries[2] as { value: Mapping }).value, sequence([str('a'), comment(' between'), str('B')])))
  const r2 = setAtPath(doc(), P('["hosts"][7]'), str('c'))
  assert.ok(nodesEqual((r2.result.entries[2] as { value: Mapping }).value, sequence([str('a'), comment(' between'), str('b'), str('c')])))
})

test('set through a scalar replaces it; key into list / index into map is an InvalidPathError', () => {
  const r = setAtPath(doc(), P('["n"]["sub"]'), str('x'))
  assert.ok(nodesEqual((r.result.entries[3] as { value: Mapping }).value, mapping([pair('sub', str('x'))])))
  assert.throws(() => setAtPath(doc(), P('["hosts"]["k"]'), str('x')), (e: unknown) => e instanceof InvalidPathError)
  assert.throws(() => setAtPath(doc(), P('["db"][0]'), str('x')), (e: unknown) => e instanceof InvalidPathError)
  assert.throws(() => setAtPath(doc(), [], str('x')), (e: unknown) => e instanceof InvalidPathError)
})

test('unset removes a key (with its end-of-line comment) or a list item', () => {
  const u = unsetAtPath(doc(), P('["db"]["password"]'))
  assert.ok(nodesEqual((u.entries[1] as { value: Mapping }).value, mapping([pair('user', str('admin'))])))
  const l = unsetAtPath(doc(), P('["hosts"][1]'))
  assert.ok(nodesEqual((l.entries[2] as { value: Mapping }).value, sequence([str('a'), comment(' between')])))
  const top = unsetAtPath(doc(), P('["db"]'))
  assert.equal(top.entries.map((e) => (e.kind === 'pair' ? e.key : '#')), ['#', 'hosts', 'n'])
})

test('unset of a missing path is an InvalidPathError (PathNotFoundError, exit 1 as sops) naming the component', () => {
  for (const p of ['["nope"]', '["db"]["nope"]', '["hosts"][5]', '["n"]["x"]', '["db"][0]']) {
    assert.throws(() => unsetAtPath(doc(), P(p)), (e: unknown) => e instanceof InvalidPathError && e.exitCode === 1, p)
  }
  assert.ok(hasPath(doc(), P('["hosts"][1]')))
  assert.not.ok(hasPath(doc(), P('["hosts"][2]')))
})

test('tree-level helpers edit document 1 only', () => {
  const t: Tree = { branches: [doc(), mapping([pair('n', int(9))])] }
  const s = setInTree(t, P('["n"]'), int(2))
  assert.ok(nodesEqual(s.result.branches[1]!, mapping([pair('n', int(9))])))
  const u = unsetInTree(t, P('["n"]'))
  assert.is(u.branches[1], t.branches[1])
  assert.not.ok(hasPath(u.branches[0]!, P('["n"]')))
})

test.run()
