/**
 * The IV stash: an unchanged value keeps its exact ciphertext, and an IV is never reused
 * for different plaintext bytes (AES-GCM nonce reuse leaks the XOR of the plaintexts and
 * the GHASH key). Attack: another writer's file holds `true`, `+0000007`, `1.500000` as
 * plaintext bytes (the MAC, over canonical text, still verifies); `set` re-encrypts them
 * as `True`, `7`, `1.5` — which must happen under fresh IVs.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadFormat } from '../../src/formats/index.js'
import { decryptString, encryptBytes as encryptValue, parseEnc } from '../../src/core/cipher.js'
import { MacBuilder } from '../../src/core/mac.js'
import { macAad } from '../../src/core/metadata.js'
import type { Mapping, Scalar } from '../../src/core/tree.js'
import { compileSelectors, effectiveSelectors } from '../../src/core/selection.js'
import { decryptTree, encryptTree, hasClearLeaf, IvStash, leafSelection } from '../../src/core/tree-cipher.js'
import { createAgeRecipient } from '../../src/keys/age.js'
import { decryptBytes, openBytes, parseEncrypted } from '../../src/ops/crypt/decrypt.js'
import { encryptBytes } from '../../src/ops/crypt/encrypt.js'
import { emitWithMetadata } from '../../src/ops/keys/rotate.js'
import { setValue } from '../../src/ops/edit/set.js'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { CANARY } from '../helpers/fixtures.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'

const PLAIN = `name: alice
password: ${CANARY}
flag: true
count: 7
ratio: 1.5
off: false
port: 5432
`
/** Non-canonical plaintext bytes another writer may have encrypted (Go parses them to the same values). */
const FOREIGN: Record<string, [type: 'bool' | 'int' | 'float', bytes: string]> = {
  flag: ['bool', 'true'],
  count: ['int', '+0000007'],
  ratio: ['float', '1.500000'],
  off: ['bool', '0'],
}

let t: ReturnType<typeof tempDir>
let k: TestKey
let n = 0
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir)
})
test.after(() => t.cleanup())

const env = () => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file })

/** A file as another writer could produce it: some values encrypted from non-canonical bytes, MAC recomputed so it verifies. */
async function craftForeignFile(): Promise<string> {
  const yaml = await loadFormat('yaml')
  const sealed = await encryptBytes(Buffer.from(PLAIN), { inputFormat: 'yaml', groups: [[createAgeRecipient(k.recipient)]] })
  const { dataKey } = await openBytes(sealed, { inputFormat: 'yaml', env: env() }) // the data key, via the test identity
  const { tree, metadata } = await parseEncrypted(sealed, 'yaml')
  const top = tree.branches[0] as Mapping
  for (const e of top.entries) {
    if (e.kind !== 'pair' || !FOREIGN[e.key]) continue
    const [type, bytes] = FOREIGN[e.key]!
    ;(e.value as Scalar).text = encryptValue(Buffer.from(bytes), type, dataKey, `${e.key}:`)
  }
  // the MAC is over the canonical text, so it is recomputed exactly as a reader computes it
  const { mac } = decryptTree(tree, { decide: compileSelectors(effectiveSelectors(metadata.selectors)), key: dataKey, mac: new MacBuilder(false), macOnlyEncrypted: false })
  metadata.mac = encryptValue(Buffer.from(mac), 'str', dataKey, macAad(metadata.lastmodified))
  const name = `foreign${n++}.yaml`
  writeFileSync(join(t.dir, name), await emitWithMetadata(tree, metadata, yaml))
  // the crafted file is valid: MAC verifies, values read back canonically
  const plain = Buffer.from(await decryptBytes(readFileSync(join(t.dir, name)), { inputFormat: 'yaml', env: env() })).toString('utf8')
  assert.ok(plain.includes('flag: true') && plain.includes('count: 7') && plain.includes('ratio: 1.5'), 'crafted file decrypts')
  return name
}

/** ENC text of each top-level value. */
async function encValues(name: string): Promise<Map<string, string>> {
  const { tree } = await parseEncrypted(readFileSync(join(t.dir, name)), 'yaml')
  const out = new Map<string, string>()
  for (const e of (tree.branches[0] as Mapping).entries) if (e.kind === 'pair' && e.value.kind === 'scalar') out.set(e.key, e.value.text)
  return out
}

/** Every value whose ciphertext changed got a fresh IV; byte-identical values kept their ciphertext. */
function assertNoNonceReuse(before: Map<string, string>, after: Map<string, string>): void {
  let rewritten = 0
  for (const [key, was] of before) {
    const now = after.get(key)
    assert.ok(now, `${key} kept`)
    if (now === was) continue
    const a = parseEnc(was, key)
    const b = parseEnc(now!, key)
    assert.not.ok(a.iv.equals(b.iv), `${key}: ciphertext changed under the same IV (GCM nonce reuse)`)
    rewritten++
  }
  assert.is(rewritten, Object.keys(FOREIGN).length, 'exactly the non-canonical values were re-encrypted')
  for (const key of ['name', 'password', 'port']) assert.is(after.get(key), before.get(key), `${key}: byte-identical value keeps its ciphertext`)
}

test('nonce reuse attack: set on a file holding non-canonical plaintext bytes never reuses an IV for other bytes (library)', async () => {
  const name = await craftForeignFile()
  const before = await encValues(name)
  await setValue(name, '["other"]', { kind: 'scalar', type: 'str', text: 'x' }, { env: env(), cwd: t.dir })
  assertNoNonceReuse(before, await encValues(name))
})

test('nonce reuse attack: sops-like set (CLI) on a file holding non-canonical plaintext bytes never reuses an IV for other bytes', async () => {
  const name = await craftForeignFile()
  const before = await encValues(name)
  const r = await runCli(['set', name, '["other"]', '"x"'], { env: env(), cwd: t.dir })
  assert.is(r.code, 0, r.stderr)
  assertNoNonceReuse(before, await encValues(name))
})

test('IvStash hands an IV back only for the exact bytes, AAD and type it encrypted', () => {
  const s = new IvStash()
  const iv = Buffer.alloc(32, 1)
  s.remember('count:', 'int', Buffer.from('+0000007'), iv)
  assert.is(s.lookup('count:', 'int', Buffer.from('7')), undefined)
  assert.is(s.lookup('other:', 'int', Buffer.from('+0000007')), undefined)
  assert.is(s.lookup('count:', 'str', Buffer.from('+0000007')), undefined)
  assert.is(s.lookup('count:', 'int', Buffer.from('+0000007')), iv)
})

test('IvStash in document order and out of it: the next entry is tried first, a changed or moved value still gets only its own IV', () => {
  const s = new IvStash()
  const ivs = [1, 2, 3, 4].map((n) => Buffer.alloc(32, n))
  ;['a', 'b', 'c', 'd'].forEach((v, i) => s.remember(`${v}:`, 'str', Buffer.from(v), ivs[i]!))
  assert.is(s.lookup('a:', 'str', Buffer.from('a')), ivs[0])
  assert.is(s.lookup('b:', 'str', Buffer.from('changed')), undefined, 'the next entry with other bytes is no hit')
  assert.is(s.lookup('c:', 'str', Buffer.from('c')), ivs[2])
  assert.is(s.lookup('a:', 'str', Buffer.from('a')), ivs[0], 'out of order: found through the map')
  assert.is(s.lookup('b:', 'str', Buffer.from('b')), ivs[1], 'then in order again')
  assert.is(s.lookup('c:', 'int', Buffer.from('c')), undefined, 'same bytes, other type label')
  assert.is(s.lookup('d:', 'str', Buffer.from('d'), true), undefined, 'same bytes, inline comment flag differs')
  s.remember('e:', 'str', Buffer.from('e'), ivs[3]!)
  assert.is(s.lookup('e:', 'str', Buffer.from('e')), ivs[3], 'remembered after the map was built')
  s.clear()
  assert.is(s.lookup('a:', 'str', Buffer.from('a')), undefined)
})

test('IvStash with a long list under one AAD (looked up by digest): reordered items keep their own IVs, changed ones get none', () => {
  const s = new IvStash()
  const items = Array.from({ length: 100 }, (_, i) => Buffer.from(`item-${i}`))
  const ivs = items.map((_, i) => Buffer.alloc(32, i))
  items.forEach((b, i) => s.remember('list:', 'str', b, ivs[i]!))
  for (const i of [99, 3, 50, 0]) assert.is(s.lookup('list:', 'str', items[i]!), ivs[i], `item ${i}`)
  assert.is(s.lookup('list:', 'str', Buffer.from('item-100')), undefined)
  assert.is(s.lookup('list:', 'int', items[4]!), undefined, 'same bytes, other type label')
  s.remember('list:', 'str', Buffer.from('late'), ivs[7]!)
  assert.is(s.lookup('list:', 'str', Buffer.from('late')), ivs[7], 'remembered after the indexes were built')
})

test('hasClearLeaf says what leafSelection says: some non-empty leaf is left in clear', async () => {
  const yaml = await loadFormat('yaml')
  const docs = [
    'a: 1\nb: x\n',
    'a: 1\nb_unencrypted: x\n',
    'a: 1\nb_unencrypted: ""\nc_unencrypted: null\n',
    'list:\n  - x\n  # keep: me\n  - y\n---\nsecond_unencrypted: z\n',
    '# keep: it\nshown: 1\nother: 2\n',
  ]
  const selectors = [{}, { unencrypted_suffix: '_unencrypted' }, { encrypted_regex: '^a$' }, { unencrypted_comment_regex: 'keep' }]
  for (const text of docs) {
    const tree = yaml.parse(Buffer.from(text))
    for (const sel of selectors) {
      const decide = compileSelectors(effectiveSelectors(sel))
      const expected = leafSelection(tree, decide).some((l) => !l.selected && !l.empty)
      assert.is(hasClearLeaf(tree, decide), expected, `${JSON.stringify(text)} with ${JSON.stringify(sel)}`)
    }
  }
})

/** A one-value tree `a: <enc>` decrypted with `key` into a fresh stash. */
function stashOf(enc: string, key: Uint8Array): { stash: IvStash; plain: Mapping } {
  const stash = new IvStash()
  const tree = { branches: [{ kind: 'map', entries: [{ kind: 'pair', key: 'a', value: { kind: 'scalar', type: 'str', text: enc } }] } as Mapping] }
  const out = decryptTree(tree, { decide: compileSelectors(effectiveSelectors({})), key, mac: new MacBuilder(false), macOnlyEncrypted: false, stash })
  return { stash, plain: out.tree.branches[0] as Mapping }
}
const encOf = (plain: Mapping, key: Uint8Array, stash: IvStash): string => {
  const out = encryptTree({ branches: [plain] }, { decide: compileSelectors(effectiveSelectors({})), key, mac: new MacBuilder(false), macOnlyEncrypted: false, stash })
  return ((out.tree.branches[0] as Mapping).entries[0] as { value: Scalar }).value.text
}

test('an unchanged value keeps its ENC text as read: the cipher is not run again (same key, canonical text)', () => {
  const key = Buffer.alloc(32, 7)
  const enc = encryptValue(Buffer.from('secret'), 'str', key, 'a:')
  const { stash, plain } = stashOf(enc, key)
  assert.is(stash.find('a:', 'str', Buffer.from('secret'), false, key)?.enc, enc)
  assert.is(encOf(plain, key, stash), enc)
})

test('ciphertext copied under another data key: a stash never hands its ENC text to a reseal with a different key', () => {
  const key = Buffer.alloc(32, 7)
  const other = Buffer.alloc(32, 9)
  const enc = encryptValue(Buffer.from('secret'), 'str', key, 'a:')
  const { stash, plain } = stashOf(enc, key)
  assert.is(stash.find('a:', 'str', Buffer.from('secret'), false, other)?.enc, undefined)
  const resealed = encOf(plain, other, stash)
  assert.is.not(resealed, enc)
  assert.is(decryptString(resealed, other, 'a:', 'a').plain.toString(), 'secret')
})

test('a non-canonical ENC text (bytes after the closing bracket) is re-encrypted, not copied', () => {
  const key = Buffer.alloc(32, 7)
  const enc = encryptValue(Buffer.from('secret'), 'str', key, 'a:')
  const { stash, plain } = stashOf(enc + 'junk', key)
  assert.is(encOf(plain, key, stash), enc)
})

test.run()
