/**
 * The YAML reader's fast path (src/formats/yaml/read-fast.ts) against the full reader
 * (src/formats/yaml/read-full.ts `parseFull`): on every text the fast path either declines
 * (undefined) or gives exactly the full reader's tree, and it never accepts a text
 * the full reader rejects.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { yamlFormat as yaml } from '../../../src/formats/yaml/index.js'
import { parseFast } from '../../../src/formats/yaml/read-fast.js'
import { parseDocuments, parseFull } from '../../../src/formats/yaml/read-full.js'
import type { Mapping, Tree } from '../../../src/core/tree.js'
import { fixture, needsFixtures } from '../../helpers/fixtures.js'
import { canonicalTree, commentText, looseTree, yamlKey, yamlString } from '../../helpers/yaml-gen.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const emit = (t: Tree): string => Buffer.from(yaml.emit(t)).toString('utf8')
const RUNS = Number(process.env.YAML_FAST_RUNS ?? 300)

/** Full reader's result, or the error it throws. */
function full(text: string): Mapping[] | Error {
  try {
    return parseFull(text)
  } catch (e) {
    return e as Error
  }
}

/** The fast path declines, or agrees with the full reader (same tree, same property order). */
function agrees(text: string): boolean {
  const fast = parseFast(text)
  if (fast === undefined) return false
  const want = full(text)
  if (want instanceof Error) assert.unreachable(`fast path accepted a text the full reader rejects (${want.message}): ${JSON.stringify(text)}`)
  assert.equal(fast, want, JSON.stringify(text))
  assert.is(JSON.stringify(fast), JSON.stringify(want), JSON.stringify(text))
  return true
}

const taken = (text: string): void => assert.ok(agrees(text), `fast path declined: ${JSON.stringify(text)}`)
const declined = (text: string): void => assert.is(parseFast(text), undefined, JSON.stringify(text))

fixtureTest('sops output takes the fast path and matches the full reader', () => {
  const lines = Array.from({ length: 50 }, (_, i) => `key_${i}: ENC[AES256_GCM,data:eHh4eA==,iv:aXZpdml2aXZpdml2,tag:dGFndGFn,type:str]`)
  const sops = [
    '#ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:comment]',
    ...lines,
    'list:',
    '    - ENC[AES256_GCM,data:YQ==,iv:aXY=,tag:dGFn,type:str]',
    '    - ENC[AES256_GCM,data:Yw==,iv:aXY=,tag:dGFn,type:comment]',
    'sops:',
    '    kms: []',
    '    age:',
    '        - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq',
    '          enc: |',
    '            -----BEGIN AGE ENCRYPTED FILE-----',
    '            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBZeHVSdjJoY3ZSQjJzbk1q',
    '',
    '            -----END AGE ENCRYPTED FILE-----',
    '    lastmodified: "2026-11-30T02:30:00Z"',
    "    pgp: []",
    '    mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]',
    '    unencrypted_suffix: _unencrypted',
    '    version: 3.9.0',
    '',
  ].join('\n')
  taken(sops)
  for (const name of ['example.yaml', 'functional-tests/res/comments.enc.yaml', 'functional-tests/res/no_mac.yaml']) {
    taken(fixture(name).toString('utf8'))
  }
})

test('hand-written layouts take the fast path', () => {
  taken('a: 1\nb:\n- x\n-   y: 2\n    z: "q # r"\nc: {}\n')
  taken('# head\nkey: value # tail\n  # indented\nother:\n  deep: true\n    # deeper\n# end\n')
  taken('  indented: root\n  second: 2\n')
  taken("k: 'it''s'\n-5: -x\n~: null\n1.50: .5\nyes: no\n<<: merge\n")
  taken('lit: |-\n  one\n\n  two\n    three\nnext: 1\n')
})

test('constructs outside the subset are declined (and still read by the full reader)', () => {
  for (const text of [
    '',
    '# only a comment\n',
    '---\na: 1\n',
    'a: 1\n---\nb: 2\n',
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: [1, 2]\n',
    'a: {b: 1}\n',
    'a: "multi\n  line"\n',
    'a: plain\n  continued\n',
    'a: "esc\\n"\n',
    'a: >\n  folded\n',
    'a: |2\n   x\n',
    'a:\tb\n',
    'a: 1\na: 2\n',
    '- a\n',
    'a:\n  - - x\n',
    'a: b: c\n',
    '? a\n: b\n',
    'a: # no value, with a comment\nb: 1\n',
  ]) {
    declined(text)
    full(text) // the full reader decides (a tree or an error); it must not crash
  }
})

test('parseDocuments gives the full reader’s tree for fast-path texts', () => {
  const text = 'a: 1\nb:\n    c: [] # x\n'
  assert.equal(parseDocuments(text), parseFull(text))
})

test('property: emitted trees — the fast path declines or agrees', () => {
  fc.assert(
    fc.property(fc.oneof(canonicalTree, looseTree), (t) => {
      agrees(emit({ branches: [t.branches[0]!] }))
    }),
    { numRuns: RUNS },
  )
})

/** Line edits that push a text to the edges of the subset (indentation, comments, blanks, keys). */
const edit = fc.tuple(
  fc.nat(),
  fc.constantFrom('comment', 'trailing', 'blank', 'indent', 'dedent', 'dup', 'empty', 'dash', 'undash', 'char', 'swap'),
  commentText,
  fc.integer({ min: 0, max: 9 }),
  fc.constantFrom(' ', '#', ':', '-', '|', '"', "'", '[]', '{}', '&a', '*a', '!', '\t', 'x', ': ', ' #'),
)

function applyEdit(lines: string[], [at, kind, text, n, ch]: [number, string, string, number, string]): void {
  const i = lines.length === 0 ? 0 : at % lines.length
  const line = lines[i] ?? ''
  const sp = ' '.repeat(n)
  switch (kind) {
    case 'comment':
      lines.splice(i, 0, `${sp}#${text}`)
      break
    case 'trailing':
      lines[i] = `${line} #${text}`
      break
    case 'blank':
      lines.splice(i, 0, sp)
      break
    case 'indent':
      lines[i] = sp.slice(0, (n % 4) + 1) + line
      break
    case 'dedent':
      lines[i] = line.replace(new RegExp(`^ {1,${(n % 4) + 1}}`), '')
      break
    case 'dup':
      lines.splice(i, 0, line)
      break
    case 'empty':
      lines[i] = line.replace(/: .*$/, ':')
      break
    case 'dash':
      lines[i] = line.replace(/^( *)/, `$1-${sp.slice(0, (n % 3) + 1)}`)
      break
    case 'undash':
      lines[i] = line.replace(/^( *)- +/, '$1')
      break
    case 'char': {
      const p = line.length === 0 ? 0 : (at >> 3) % (line.length + 1)
      lines[i] = line.slice(0, p) + ch + line.slice(p)
      break
    }
    case 'swap':
      if (i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1]!, line]
      break
  }
}

test('property: edited texts — the fast path declines or agrees, and never accepts an error', () => {
  fc.assert(
    fc.property(fc.oneof(canonicalTree, looseTree), fc.array(edit, { minLength: 1, maxLength: 4 }), (t, edits) => {
      const lines = emit({ branches: [t.branches[0]!] }).split('\n')
      for (const e of edits) applyEdit(lines, e)
      agrees(lines.join('\n'))
    }),
    { numRuns: RUNS },
  )
})

/** Hand-written style documents: 2-space or odd indentation, `key:\n- item` lists, compact maps, literals, comments. */
const scalarText = fc.oneof(
  yamlString.map((s) => s.replace(/[\n\r\t]/g, ' ').trim()),
  fc.constantFrom('1', '-5', '0x1F', '1_000', '.5', 'true', 'No', '~', 'null', '2024-01-02', '2024-01-02T03:04:05Z', '<<', 'a:b', 'a#b', 'x y'),
  yamlString.map((s) => `"${s.replace(/["\\\n\r\t]/g, '')}"`),
  yamlString.map((s) => `'${s.replace(/[\n\r\t]/g, '').replace(/'/g, "''")}'`),
  fc.constantFrom('[]', '{}', 'ENC[AES256_GCM,data:YQ==,iv:aXY=,tag:dGFn,type:comment]'),
)

type Gen = (indent: number, depth: number) => fc.Arbitrary<string[]>
const extras = (indent: number): fc.Arbitrary<string[]> =>
  fc.array(
    fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: indent + 4 }), commentText).map(([n, c]) => `${' '.repeat(n)}#${c}`),
      fc.integer({ min: 0, max: 3 }).map((n) => ' '.repeat(n)),
    ),
    { maxLength: 1 },
  )
const trail = fc.option(commentText.map((c) => ` #${c}`), { nil: '', freq: 3 })
const literal = (indent: number): fc.Arbitrary<string[]> =>
  fc
    .tuple(fc.constantFrom('|', '|-'), fc.integer({ min: 1, max: 3 }), fc.array(fc.oneof(fc.constant(''), yamlString.map((s) => s.replace(/[\n\r\t]/g, ' '))), { minLength: 1, maxLength: 4 }))
    .map(([h, step, ls]) => [h, ...ls.map((l) => (l === '' ? '' : ' '.repeat(indent + step) + l))])

const handMap: Gen = (indent, depth) =>
  fc
    .array(
      fc.tuple(
        yamlKey.map((k) => k.trim()).filter((k) => k.length > 0),
        fc.oneof(
          { weight: 4, arbitrary: fc.tuple(scalarText, trail).map(([v, c]) => [v + c]) },
          { weight: depth > 0 ? 1 : 0, arbitrary: fc.integer({ min: 1, max: 4 }).chain((step) => handMap(indent + step, depth - 1)).map((ls) => ['', ...ls]) },
          { weight: depth > 0 ? 1 : 0, arbitrary: fc.integer({ min: 0, max: 4 }).chain((step) => handSeq(indent + step, depth - 1)).map((ls) => ['', ...ls]) },
          { weight: 1, arbitrary: literal(indent) },
        ),
        extras(indent),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((pairs) =>
      pairs.flatMap(([k, [head, ...rest], ex]) => [`${' '.repeat(indent)}${k}:${head === '' ? '' : ' ' + head}`, ...rest, ...ex]),
    )

const handSeq: Gen = (indent, depth) =>
  fc
    .array(
      fc.tuple(
        fc.integer({ min: 1, max: 3 }),
        fc.oneof(
          { weight: 3, arbitrary: fc.tuple(scalarText, trail).map(([v, c]) => ({ map: false, lines: [v + c] })) },
          { weight: depth > 0 ? 1 : 0, arbitrary: fc.constant(0).chain(() => handMap(0, depth - 1)).map((ls) => ({ map: true, lines: ls })) },
        ),
        extras(indent),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((items) =>
      items.flatMap(([gap, item, ex]) => {
        const pad = ' '.repeat(indent)
        if (!item.map) return [`${pad}-${' '.repeat(gap)}${item.lines[0]}`, ...ex]
        // a compact map: its first key follows the dash, the rest line up with it
        const inner = ' '.repeat(indent + 1 + gap)
        return [`${pad}-${' '.repeat(gap)}${item.lines[0]}`, ...item.lines.slice(1).map((l) => (l.trim() === '' || l.trimStart().startsWith('#') ? l : inner + l)), ...ex]
      }),
    )

test('property: hand-written style documents — the fast path declines or agrees', () => {
  let fast = 0
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3 }).chain((d) => handMap(0, d)), extras(0), (lines, head) => {
      if (agrees([...head, ...lines, ''].join('\n'))) fast++
    }),
    { numRuns: RUNS },
  )
  assert.ok(fast > RUNS / 10, `the fast path was taken for only ${fast} of ${RUNS} documents`)
})

test.run()
