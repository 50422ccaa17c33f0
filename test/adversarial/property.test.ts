/**
 * Properties over generated documents, every format (fast-check, in-process):
 *
 * 1. encrypt → decrypt is the identity: the decrypted tree is the parsed plaintext
 *    (types and bytes of every value, keys, order, comments), and the decrypted file is
 *    the format's own rendering of that tree. The one documented difference: comments
 *    come back as own-line comments (decrypt clears `inline`, as sops does).
 * 2. One byte of the encrypted file changed never decrypts to different data. What the
 *    byte hit decides the exact outcome:
 *    - any byte of a value's `ENC[…]` (data, iv, tag, type, the frame) → 25, unless the
 *      change keeps every decoded field identical (a base64 padding bit): then the
 *      decrypt must succeed with the identical plaintext;
 *    - any byte of the MAC's `ENC[…]` → 51 (same exception);
 *    - a letter of a clear (`_unencrypted`) value → 51;
 *    - a digit of `lastmodified`'s year → 51 (it is the MAC's AAD); a letter put there → 11;
 *    - a byte that breaks the syntax (the format's structure around the metadata) → 10.
 *    Replacement bytes are chosen so that they cannot change the file's syntax or a
 *    value's type (alphanumerics and `+/=,:[]-_.`; alphanumerics at a value's first byte).
 *
 * Speed: documents are sealed with one fixed data key (wrapped once to a real age
 * recipient) through sealTree with `reuse`, and opened with `dataKey`; every 25th
 * document also goes through encryptBytes / decryptBytes with a real age identity.
 * ADV_PROPERTY_RUNS (default 1000) sets the documents per format; ADV_VERBOSE=1 prints a tally.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { loadFormat, type Format, type FormatName } from '../../src/formats/index.js'
import { wrapDataKey } from '../../src/core/data-key.js'
import { sealTree, type OpenedDocument } from '../../src/core/document.js'
import { formatFloatF } from '../../src/core/go-number.js'
import { assertNoMetadata } from '../../src/core/metadata-layout.js'
import { SOPS_FORMAT_VERSION } from '../../src/core/metadata.js'
import { effectiveSelectors } from '../../src/core/selection.js'
import { IvStash } from '../../src/core/tree-cipher.js'
import { scalarBytes, type Comment, type Mapping, type Node, type Pair, type Scalar, type Tree } from '../../src/core/tree.js'
import { EmitError, SopsLikeError } from '../../src/errors.js'
import { createAgeIdentity, createAgeRecipient } from '../../src/keys/age.js'
import type { Identity } from '../../src/keys/key-source.js'
import { encryptedCodec } from '../../src/ops/crypt/codec.js'
import { decryptBytes, openBytes, parseEncrypted } from '../../src/ops/crypt/decrypt.js'
import { encryptBytes } from '../../src/ops/crypt/encrypt.js'
import { makeAgeKey, tempDir } from '../helpers/keys.js'
import { FORMATS } from './harness.js'

const RUNS = Number(process.env.ADV_PROPERTY_RUNS ?? 1000)
const FULL_PIPELINE_EVERY = 25
const CLEAR_KEY = 'note_unencrypted'

// ---------------------------------------------------------------------------
// generators: what each format can represent (see src/formats/)

const sc = (type: Scalar['type'], text: string): Scalar => ({ kind: 'scalar', type, text })
const pair = (key: string, value: Node): Pair => ({ kind: 'pair', key, value })
const cmt = (text: string): Comment => ({ kind: 'comment', text, inline: false })
const lower = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split(''))
/** A clear value: `clear` + 8 letters (cannot read as a number, bool, null or time in any format). */
const clearArb = fc.string({ unit: lower, minLength: 8, maxLength: 8 }).map((s) => `clear${s}`)
/** Keys a generator must not produce: the metadata's own and the clear-value selector. */
const reservedKey = (k: string): boolean => k === 'sops' || k.startsWith('sops_') || k.endsWith('_unencrypted')
const INT64 = 2n ** 63n
const intArb = fc.bigInt({ min: -INT64, max: INT64 - 1n }).map((v) => sc('int', v.toString()))
const floatArb = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)).map((x) => sc('float', formatFloatF(x)))
const boolArb = fc.boolean().map((b) => sc('bool', b ? 'True' : 'False'))
const tricky = fc.constantFrom('"', "'", '\\', '\n', '\t', ' ', '#', ':', ';', '=', '[', ']', '{', '}', ',', '-', '?', '&', '*', '!', '|', '>', '%', '@', '`', 'é', '𝄞', 'ENC[', '~', 'null', 'true', '0x1', '1e3', '\u0085', '\u00a0')
const strUnit = fc.oneof({ weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) }, { weight: 2, arbitrary: tricky })
const strArb = fc.string({ unit: strUnit, maxLength: 10 }).map((s) => sc('str', s))
const keyArb = fc.string({ unit: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...'abcxyz_019-. '.split('')) }, { weight: 1, arbitrary: tricky }), maxLength: 6 }).filter((k) => !reservedKey(k))
const commentArb = fc.string({ unit: fc.oneof(fc.constantFrom(...'ab #"\'é\t=[;'.split('')), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 8 })
  .filter((c) => !/[\n\r\u0085\u2028\u2029]/.test(c))

/** Nested maps/lists with comments (YAML, JSON, TOML differ in leaves and comment support). */
function nestedArb(leaf: fc.Arbitrary<Node>, comments: boolean, maxDepth: number): fc.Arbitrary<Mapping> {
  const withComments = <T>(items: fc.Arbitrary<T[]>): fc.Arbitrary<Array<T | Comment>> =>
    comments
      ? fc.tuple(items, fc.array(fc.tuple(fc.nat(), commentArb), { maxLength: 2 })).map(([xs, cs]) => {
        const out: Array<T | Comment> = [...xs]
        for (const [at, c] of cs) out.splice(at % (out.length + 1), 0, cmt(c))
        return out
      })
      : items
  const { map } = fc.letrec<{ node: Node; map: Mapping; seq: Node }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', maxDepth }, leaf, tie('map'), tie('seq')),
    map: withComments(fc.uniqueArray(fc.tuple(keyArb, tie('node')), { selector: ([k]) => k, maxLength: 4 }).map((ps) => ps.map(([k, v]) => pair(k, v))))
      .map((entries): Mapping => ({ kind: 'map', entries })),
    seq: withComments(fc.array(tie('node'), { maxLength: 3 })).map((items): Node => ({ kind: 'seq', items })),
  }))
  return map
}

/** Puts the clear pair at the front of the root map (top level: a clear value in every format). */
const withClear = (root: Mapping, clear: string): Tree => ({ branches: [{ kind: 'map', entries: [pair(CLEAR_KEY, sc('str', clear)), ...root.entries] }] })

const yamlLeaf = fc.oneof(strArb, intArb, floatArb, boolArb, fc.constant(sc('null', '')))
const jsonLeaf = fc.oneof(strArb, intArb, floatArb, boolArb, fc.constant(sc('null', '')))
const TOML_TIMES = ['1979-05-27T07:32:00Z', '1979-05-27T00:32:00.999999-07:00', '1979-05-27T07:32:00', '1979-05-27', '07:32:00']
const tomlLeaf = fc.oneof(strArb, intArb, floatArb, boolArb, fc.constantFrom(...TOML_TIMES).map((t) => sc('time', t)))

const dotenvKey = fc.string({ unit: fc.oneof(fc.constantFrom(...'ABCxyz_09.-'.split('')), tricky), maxLength: 8 })
  .filter((k) => !k.includes('=') && !k.includes('\n') && !k.startsWith('#') && !reservedKey(k))
/** dotenv values: flat strings; a literal `\n` (backslash, n) is the escape of a newline, by design. */
const dotenvValue = strArb.filter((s) => !s.text.includes('\\n'))
const dotenvArb = fc.tuple(fc.array(fc.oneof(fc.tuple(dotenvKey, dotenvValue).map(([k, v]) => pair(k, v) as Pair | Comment), commentArb.map(cmt)), { maxLength: 8 }), clearArb)
  .map(([entries, clear]) => withClear({ kind: 'map', entries }, clear))

/** INI: sections (DEFAULT first) of string values, comments after keys or at a section's start. */
const iniKey = fc.stringMatching(/^[A-Za-z0-9_.`"=:#;\[\]-](?:[A-Za-z0-9_. `"=:#;\[\]-]{0,6}[A-Za-z0-9_.`"=:#;\]-])?$/).filter((k) => k !== '-' && !reservedKey(k))
const iniValue = fc.string({ unit: fc.constantFrom(...'ab 9\t\n`"\'#;\\=:[]é'.split('')), maxLength: 10 })
const iniComment = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9 ,.!?=:#;]{0,10}[A-Za-z0-9.!?])?$/)
const iniKeys = fc.uniqueArray(fc.tuple(iniKey, iniValue, fc.option(iniComment, { nil: undefined })), { selector: ([k]) => k, maxLength: 5 })
  .map((ks) => ks.flatMap(([k, v, c]): Array<Pair | Comment> => (c === undefined ? [pair(k, sc('str', v))] : [pair(k, sc('str', v)), cmt(c)])))
const iniArb = fc
  .tuple(iniKeys, fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z0-9 ._:#;[-]{1,8}$/).filter((n) => n.trim().toLowerCase() !== 'sops' && n !== 'DEFAULT'), fc.option(iniComment, { nil: undefined }), iniKeys), { selector: ([n]) => n, maxLength: 3 }), clearArb)
  .map(([defaults, sections, clear]): Tree => ({ branches: [{ kind: 'map', entries: [
    pair('DEFAULT', { kind: 'map', entries: [pair(CLEAR_KEY, sc('str', clear)), ...defaults] }),
    ...sections.map(([n, c, es]) => pair(n, { kind: 'map', entries: [...(c === undefined ? [] : [cmt(c)]), ...es] })),
  ] }] }))

const ARBS: Record<FormatName, fc.Arbitrary<Tree | Uint8Array>> = {
  yaml: fc.tuple(nestedArb(yamlLeaf, true, 3), clearArb).map(([m, c]) => withClear(m, c)),
  json: fc.tuple(nestedArb(jsonLeaf, false, 3), clearArb).map(([m, c]) => withClear(m, c)),
  toml: fc.tuple(nestedArb(tomlLeaf, true, 3), clearArb).map(([m, c]) => withClear(m, c)),
  dotenv: dotenvArb,
  ini: iniArb,
  binary: fc.uint8Array({ maxLength: 300 }),
}

// ---------------------------------------------------------------------------
// comparing trees

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
/** Types, value bytes, keys, order and comment texts; styles and the `inline` flag left out. */
function view(n: Node | Comment): unknown {
  switch (n.kind) {
    case 'map': return { map: n.entries.map((e) => (e.kind === 'pair' ? [e.key, view(e.value)] : view(e))) }
    case 'seq': return { seq: n.items.map(view) }
    case 'comment': return { comment: n.text }
    default: return `${n.type === 'bytes' ? 'str' : n.type}:${hex(scalarBytes(n))}`
  }
}
const viewTree = (t: Tree): unknown => t.branches.map(view)

/** The tree with every comment own-line (what decrypt gives back). */
function ownLine<T extends Node | Comment>(n: T): T {
  switch (n.kind) {
    case 'map': return { ...n, entries: n.entries.map((e) => (e.kind === 'pair' ? { ...e, value: ownLine(e.value) } : ownLine(e))) }
    case 'seq': return { ...n, items: n.items.map(ownLine) }
    case 'comment': return { ...n, inline: false }
    default: return n
  }
}

// ---------------------------------------------------------------------------
// finding and changing bytes in an encrypted file (latin1 view: one char per byte)

const ENC_G = /ENC\[AES256_GCM,data:[^\]\s"]*?,iv:[^\]\s"]*?,tag:[^\]\s"]*?,type:[a-z]+\]/g
const ENC_STRICT = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]$/s
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const SAFE = ALNUM + '+/=,:[]-_.'

/** Same cipher text after the change: every field decodes to the same bytes and the type is the same. */
function sameCiphertext(a: string, b: string): boolean {
  const x = ENC_STRICT.exec(a)
  const y = ENC_STRICT.exec(b)
  if (!x || !y || x[4] !== y[4]) return false
  return [1, 2, 3].every((i) => B64.test(y[i]!) && Buffer.from(x[i]!, 'base64').equals(Buffer.from(y[i]!, 'base64')))
}

/** A different byte from `alphabet` for position `i`, picked by `r`. */
function replacement(current: number, alphabet: string, r: number): number {
  const options = alphabet.split('').map((c) => c.charCodeAt(0)).filter((c) => c !== current)
  return options[r % options.length]!
}

const withByte = (buf: Buffer, i: number, byte: number): Buffer => {
  const out = Buffer.from(buf)
  out[i] = byte
  return out
}

interface Hit { start: number; text: string }

/** The syntax-breaking byte of each format's encrypted layout (checked to give 10 in every case). */
function syntaxBreak(f: FormatName, s: string): { at: number; byte: string } {
  switch (f) {
    case 'json': case 'binary': return { at: s.lastIndexOf('}'), byte: ']' } // the root object's brace
    case 'yaml': {
      const i = s.lastIndexOf('sops:\n    ')
      assert.ok(i === 0 || s[i - 1] === '\n', 'sops: at the start of a line')
      return { at: i + 'sops:\n'.length, byte: '\t' } // a tab in the indentation of the metadata
    }
    case 'dotenv': return { at: s.lastIndexOf('sops_version=') + 'sops_version'.length, byte: '#' } // a line without `=`
    case 'ini': return { at: s.lastIndexOf('[sops]') + 5, byte: ' ' } // an unclosed section header
    case 'toml': return { at: s.lastIndexOf('[sops]'), byte: ' ' } // `sops]` read as a key without `=`
  }
}

// ---------------------------------------------------------------------------
// the run

interface Ctx {
  fmt: Format
  codec: Format
  key: Buffer
  template: OpenedDocument['metadata']
  recipient: ReturnType<typeof createAgeRecipient>
  identity: Identity
}

type Expect = { ok: true } | { code: number }

async function decryptOutcome(bytes: Buffer, c: Ctx): Promise<{ ok: true; out: Buffer } | { ok: false; err: unknown }> {
  try {
    return { ok: true, out: Buffer.from(await decryptBytes(bytes, { inputFormat: c.fmt.name, dataKey: c.key })) }
  } catch (err) {
    return { ok: false, err }
  }
}

async function check(tampered: Buffer, expect: Expect, canonical: Buffer, c: Ctx, what: string): Promise<void> {
  const r = await decryptOutcome(tampered, c)
  if ('code' in expect) {
    assert.not.ok(r.ok, `${what}: decrypted although ${expect.code} was expected${r.ok && !r.out.equals(canonical) ? ' (and to DIFFERENT data)' : ''}`)
    const err = (r as { err: unknown }).err
    assert.ok(err instanceof SopsLikeError, `${what}: not a typed error: ${String(err)}`)
    assert.is((err as SopsLikeError).exitCode, expect.code, `${what}: ${(err as Error).message}`)
  } else {
    assert.ok(r.ok, `${what}: a change that keeps the cipher text must decrypt: ${r.ok ? '' : String((r as { err: unknown }).err)}`)
    assert.ok((r as { out: Buffer }).out.equals(canonical), `${what}: decrypted to different data`)
  }
}

async function seal(plain: Tree, c: Ctx): Promise<Buffer> {
  const reuse: OpenedDocument = { tree: { branches: [] }, metadata: c.template, dataKey: c.key, stash: new IvStash() }
  return Buffer.from(c.codec.emit((await sealTree(plain, c.fmt, { reuse })).tree))
}

interface Tally { docs: number; skipped: number; full: number; value: number; valueSame: number; mac: number; macSame: number; clear: number; lastmodified: number; syntax: number }

async function property(c: Ctx, gen: Tree | Uint8Array, r: number[], n: number, tally: Tally): Promise<void> {
  const f = c.fmt.name
  // the document as the format writes it (trees a format cannot hold are skipped)
  let plainBytes: Buffer
  try {
    plainBytes = Buffer.from(gen instanceof Uint8Array ? gen : c.fmt.emit(gen))
  } catch (e) {
    if (e instanceof EmitError) {
      tally.skipped++
      fc.pre(false)
    }
    throw e
  }
  const parsed = c.fmt.parse(plainBytes)
  if (c.fmt.metadataLayout !== 'binary') assertNoMetadata(parsed, c.fmt.metadataLayout)
  const canonical = Buffer.from(c.fmt.emit({ ...parsed, branches: parsed.branches.map(ownLine) }))
  tally.docs++

  // 1. identity
  const enc = await seal(c.fmt.parse(plainBytes), c)
  const doc = await openBytes(enc, { inputFormat: f, dataKey: c.key })
  assert.equal(viewTree(doc.tree), viewTree(parsed), 'the decrypted tree is the parsed plaintext')
  assert.ok(Buffer.from(c.fmt.emit(doc.tree)).equals(canonical), 'the decrypted file is the canonical plaintext')
  if (n % FULL_PIPELINE_EVERY === 0) {
    const full = Buffer.from(await encryptBytes(plainBytes, { inputFormat: f, groups: [[c.recipient]] }))
    assert.ok(Buffer.from(await decryptBytes(full, { inputFormat: f, identities: [c.identity] })).equals(canonical), 'encryptBytes → decryptBytes (age)')
    tally.full++
  }

  // 2. one byte changed
  const s = enc.toString('latin1')
  const { metadata } = await parseEncrypted(enc, f)
  const hits: Hit[] = [...s.matchAll(ENC_G)].map((m) => ({ start: m.index!, text: m[0] }))
  const mac = hits.filter((h) => h.text === metadata.mac)
  assert.is(mac.length, 1, 'the MAC is found once')
  const values = hits.filter((h) => h.text !== metadata.mac && !h.text.endsWith(',type:comment]'))

  const inEnc = async (h: Hit, code: number, kind: 'value' | 'mac', at: number, by: number): Promise<void> => {
    const off = at % h.text.length
    // first and last byte: letters and digits only (a ':' after `type:str` makes invalid YAML, i.e. 10, not a tampered value)
    const byte = replacement(h.text.charCodeAt(off), off === 0 || off === h.text.length - 1 ? ALNUM : SAFE, by)
    const changed = h.text.slice(0, off) + String.fromCharCode(byte) + h.text.slice(off + 1)
    const same = sameCiphertext(h.text, changed)
    if (same) tally[kind === 'value' ? 'valueSame' : 'macSame']++
    await check(withByte(enc, h.start + off, byte), same ? { ok: true } : { code }, canonical, c, `${kind}: byte ${off} of ${JSON.stringify(h.text)} → ${JSON.stringify(String.fromCharCode(byte))}`)
  }
  if (values.length) {
    await inEnc(values[r[0]! % values.length]!, 25, 'value', r[1]!, r[2]!)
    tally.value++
  }
  await inEnc(mac[0]!, 51, 'mac', r[7]!, r[2]! + r[7]!)
  tally.mac++

  if (f !== 'binary') {
    const clearAt = s.indexOf('clear', s.indexOf(CLEAR_KEY))
    const token = /^clear[a-z]{8}/.exec(s.slice(clearAt))
    assert.ok(clearAt > 0 && token, 'the clear value is in the encrypted file')
    const i = clearAt + 5 + (r[3]! % 8)
    await check(withByte(enc, i, replacement(enc[i]!, 'abcdefghijklmnopqrstuvwxyz', r[4]!)), { code: 51 }, canonical, c, 'clear value letter')
    tally.clear++
  }

  const lm = s.lastIndexOf('lastmodified')
  const year = lm + /\d{4}-\d\d-\d\dT/.exec(s.slice(lm))!.index + (r[5]! % 4)
  await check(withByte(enc, year, replacement(enc[year]!, '0123456789', r[6]!)), { code: 51 }, canonical, c, 'lastmodified year digit')
  await check(withByte(enc, year, 'x'.charCodeAt(0)), { code: 11 }, canonical, c, 'lastmodified digit → letter')
  tally.lastmodified++

  const brk = syntaxBreak(f, s)
  // an encrypted file that no longer parses is a damaged sops file (44), not merely malformed input
  await check(withByte(enc, brk.at, brk.byte.charCodeAt(0)), { code: 44 }, canonical, c, `syntax: byte ${brk.at} → ${JSON.stringify(brk.byte)}`)
  tally.syntax++
}

let t: ReturnType<typeof tempDir>
let recipient: ReturnType<typeof createAgeRecipient>
let identity: Identity
test.before(async () => {
  t = tempDir('sops-like-prop-')
  const k = await makeAgeKey(t.dir)
  recipient = createAgeRecipient(k.recipient)
  identity = createAgeIdentity([k.identity], 'property test key')
})
test.after(() => t.cleanup())

for (const f of FORMATS) {
  test(`${f}: ${RUNS} generated documents — encrypt → decrypt is the identity; one changed byte never decrypts to other data`, async () => {
    const t0 = performance.now()
    const fmt = await loadFormat(f)
    const key = randomBytes(32)
    const wrapped = await wrapDataKey(key, [[recipient]])
    const c: Ctx = {
      fmt,
      codec: await encryptedCodec(fmt),
      key,
      recipient,
      identity,
      template: { keyGroups: wrapped.keyGroups, lastmodified: '', mac: '', version: SOPS_FORMAT_VERSION, selectors: f === 'binary' ? {} : effectiveSelectors({}), extra: [] },
    }
    const tally: Tally = { docs: 0, skipped: 0, full: 0, value: 0, valueSame: 0, mac: 0, macSame: 0, clear: 0, lastmodified: 0, syntax: 0 }
    let n = 0
    await fc.assert(
      fc.asyncProperty(ARBS[f], fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), async (gen, r) => property(c, gen, r, n++, tally)),
      { numRuns: RUNS, maxSkipsPerRun: 10 },
    )
    assert.ok(tally.docs >= RUNS, `only ${tally.docs} documents`)
    assert.ok(tally.value >= RUNS / 2, `only ${tally.value} documents had an encrypted value to change`)
    if (process.env.ADV_VERBOSE === '1') console.log(`\n${f}: ${JSON.stringify(tally)} in ${(performance.now() - t0).toFixed(0)} ms`)
  })
}

test.run()
