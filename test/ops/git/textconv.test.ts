/**
 * textconv for git diff: decrypted with a key, keyless view without, warnings, pass-through;
 * never throws. Every view of a sops file starts with the key header (recipients, names
 * from the config, fingerprint of the wrapped data key).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { textconvBytes, textconvFile } from '../../../src/ops/git/textconv.js'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { openBytes, parseEncrypted } from '../../../src/ops/crypt/decrypt.js'
import { rotateFile } from '../../../src/ops/keys/rotate.js'
import { unwrapDataKey } from '../../../src/core/data-key.js'
import { loadIdentities } from '../../../src/keys/identities.js'
import { sealTree } from '../../../src/core/document.js'
import { encryptedCodec } from '../../../src/ops/crypt/codec.js'
import { loadFormat, type FormatName } from '../../../src/formats/index.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import type { Mapping, Tree } from '../../../src/core/tree.js'
import { isolatedEnv } from '../../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY } from '../../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'a')
})
test.after(() => t.cleanup())

const withKey = () => ({ env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file }) })
const noKey = () => ({ env: isolatedEnv() })
const s = (b: Uint8Array) => Buffer.from(b).toString('utf8')
/** The output without its first line (the key header), after checking that line's shape. */
const body = (b: Uint8Array, prefix = '# '): string => {
  const text = s(b)
  const nl = text.indexOf('\n')
  assert.match(text.slice(0, nl), new RegExp(`^${prefix.replace(/\//g, '\\/')}sops-like: recipients .+; data key [0-9a-f]{12}$`))
  return text.slice(nl + 1)
}

const YAML = `# top comment\ndb:\n    user: admin\n    password: ${CANARY}\nport: 5432\n`

/** The header's fingerprint, computed here from its definition: sha256 over the sorted `enc` fields, 12 hex. */
const fingerprintOf = (yamlText: string): string => {
  const encs = [...yamlText.matchAll(/enc: \|\n((?: {12}.*\n)+)/g)].map((m) => m[1]!.split('\n').map((l) => l.slice(12)).join('\n').replace(/\n$/, '\n'))
  return createHash('sha256').update(encs.map((x) => x).sort().join('\n')).digest('hex').slice(0, 12)
}

async function enc(plain: string, format: FormatName): Promise<Uint8Array> {
  return encryptBytes(Buffer.from(plain), { inputFormat: format, groups: [[createAgeRecipient(k.recipient)]] })
}

/** Re-seals with the same data key after changing one top-level string value (as `set` does). */
async function changeTop(bytes: Uint8Array, format: FormatName, key: string, value: string): Promise<Uint8Array> {
  const doc = await openBytes(bytes, { inputFormat: format, ...withKey() })
  const b = doc.tree.branches[0]!
  const entries = b.entries.map((e) => (e.kind === 'pair' && e.key === key ? { ...e, value: { kind: 'scalar' as const, type: 'str' as const, text: value } } : e))
  const tree: Tree = { ...doc.tree, branches: [{ ...b, entries } as Mapping] }
  const fmt = await loadFormat(format)
  return (await encryptedCodec(fmt)).emit((await sealTree(tree, fmt, { reuse: doc })).tree)
}

test('with a key: the decrypted document in its own format', async () => {
  const r = await textconvBytes(await enc(YAML, 'yaml'), { filename: 'x_secrets.enc.yaml', ...withKey() })
  assert.is(r.kind, 'decrypted')
  assert.is(body(r.output), YAML)
})

test('JSON and dotenv decrypt too', async () => {
  const json = '{\n\t"a": "one",\n\t"n": 2\n}'
  const rj = await textconvBytes(await enc(json, 'json'), { filename: 'c.enc.json', ...withKey() })
  assert.is(rj.kind, 'decrypted')
  assert.match(body(rj.output, '// '), /"a": "one"/)
  const re = await textconvBytes(await enc('A=1\nB=two\n', 'dotenv'), { filename: 'app.env', ...withKey() })
  assert.is(body(re.output), 'A=1\nB=two\n')
})

test('without a key: keyless view with stable tags, encrypted comments and a one-line sops summary', async () => {
  const e = await enc(YAML, 'yaml')
  const r = await textconvBytes(e, { filename: 'secrets.enc.yaml', ...noKey() })
  assert.is(r.kind, 'keyless')
  const out = s(r.output)
  assert.not.ok(out.includes(CANARY))
  assert.not.ok(out.includes('ENC['))
  const pw = /password: (ENC\[[^\n]+\])/.exec(s(e))![1]!
  assert.ok(out.includes(`password: <encrypted:${createHash('sha256').update(pw).digest('hex').slice(0, 8)}>`), out)
  assert.match(out, /# <encrypted comment>/)
  const summary = out.trim().split('\n').filter((l) => l.startsWith('# sops:'))
  assert.is(summary.length, 1)
  assert.match(summary[0]!, /^# sops: lastmodified \d{4}-/)
  assert.is(out.split('\n')[0], `# sops-like: recipients ${k.recipient}; data key ${fingerprintOf(s(e))}`)
  assert.not.match(out, /\nsops:/)
})

test('keyless view: only the changed key gets a new tag when values keep their ciphertext', async () => {
  const e1 = await enc('a: one\nb: two\nc: three\n', 'yaml')
  const e2 = await changeTop(e1, 'yaml', 'b', 'TWO')
  const v1 = s((await textconvBytes(e1, { filename: 'f.yaml', ...noKey() })).output).split('\n')
  const v2 = s((await textconvBytes(e2, { filename: 'f.yaml', ...noKey() })).output).split('\n')
  const changed = v1.filter((l, i) => l !== v2[i] && !l.startsWith('# sops:'))
  assert.equal(changed.map((l) => l.split(':')[0]), ['b'])
})

test('a bad MAC: a warning line on top, values still shown', async () => {
  const e = s(await enc(YAML, 'yaml')).replace(/lastmodified: "[^"]+"/, 'lastmodified: "2001-01-01T00:00:00Z"')
  const r = await textconvBytes(Buffer.from(e), { filename: 'secrets.enc.yaml', ...withKey() })
  assert.is(r.kind, 'mac-mismatch')
  const [first, ...rest] = body(r.output).split('\n')
  assert.match(first!, /^# sops-like: WARNING: MAC mismatch/)
  assert.is(rest.join('\n'), YAML)
})

test('a tampered value with a key: keyless view behind a warning', async () => {
  const e1 = s(await enc('a: one\nb: two\n', 'yaml'))
  const aEnc = /a: (ENC\[[^\n]+\])/.exec(e1)![1]!
  const bEnc = /b: (ENC\[[^\n]+\])/.exec(e1)![1]!
  const swapped = e1.replace(`a: ${aEnc}`, `a: ${bEnc}`)
  const r = await textconvBytes(Buffer.from(swapped), { filename: 'f.yaml', ...withKey() })
  assert.is(r.kind, 'keyless')
  assert.match(body(r.output), /^# sops-like: WARNING: cannot decrypt this file \(a value failed authentication/)
})

test('not a sops file: passed through byte for byte (also malformed input mentioning sops)', async () => {
  for (const input of ['plain: text\n', 'sops: [unclosed\n', '{"sops": 1}', '\u0000\u0001binary sops']) {
    const r = await textconvBytes(Buffer.from(input), { filename: 'f.yaml', ...withKey() })
    assert.is(r.kind, 'passthrough')
    assert.is(s(r.output), input)
  }
})

test('a truncated sops file (values, no metadata): kind damaged, a warning line, then the bytes unchanged', async () => {
  const e = s(await enc(YAML, 'yaml'))
  for (const cut of [e.slice(0, e.indexOf('\nsops:') + 1), e.slice(0, e.indexOf(': ENC[') + 30)]) {
    const r = await textconvBytes(Buffer.from(cut), { filename: 'f.enc.yaml', ...withKey() })
    assert.is(r.kind, 'damaged')
    assert.is(s(r.output), `# sops-like: WARNING: this file looks damaged or truncated (encrypted values but no complete sops metadata): restore it from git; shown unchanged\n${cut}`)
  }
})

test('JSON keyless summary uses a // line; binary files work without a format hint', async () => {
  const r = await textconvBytes(await enc('{"a": "x"}', 'json'), { filename: 'c.json', ...noKey() })
  assert.match(s(r.output), /^\/\/ sops-like: recipients age1/)
  assert.match(s(r.output), /\n\/\/ sops: lastmodified /)
  const bin = await encryptBytes(Buffer.from(`bin ${CANARY}`), { inputFormat: 'binary', groups: [[createAgeRecipient(k.recipient)]] })
  const rb = await textconvBytes(bin, { filename: 'blob.dat', ...withKey() })
  assert.is(body(rb.output), `bin ${CANARY}`)
  const rk = await textconvBytes(bin, { filename: 'blob.dat', ...noKey() })
  assert.not.ok(s(rk.output).includes(CANARY))
  assert.match(body(rk.output), /^<encrypted:[0-9a-f]{8}>\n# sops: /)
})

test('textconvFile: missing file gives empty output; notes only through onDebug', async () => {
  const notes: string[] = []
  const r = await textconvFile(join(t.dir, 'missing.yaml'), { ...noKey(), onDebug: (l) => notes.push(l) })
  assert.is(r.output.length, 0)
  assert.is(notes.length, 1)
  const p = join(t.dir, 's.enc.yaml')
  writeFileSync(p, await enc(YAML, 'yaml'))
  const r2 = await textconvFile(p, withKey())
  assert.is(body(r2.output), YAML)
})

const headerOf = (b: Uint8Array): string => s(b).split('\n')[0]!

test('key header: the fingerprint is a hash of the public wrapped keys, never of the data key', async () => {
  const e = await enc(YAML, 'yaml')
  const { metadata } = await parseEncrypted(e, 'yaml')
  const encs = metadata.keyGroups.flat().map((x) => x.fields.enc!).sort()
  const expect = createHash('sha256').update(encs.join('\n')).digest('hex').slice(0, 12)
  for (const o of [withKey(), noKey()]) {
    const h = headerOf((await textconvBytes(e, { filename: 's.enc.yaml', ...o })).output)
    assert.is(h, `# sops-like: recipients ${k.recipient}; data key ${expect}`)
  }
  const dk = Buffer.from(await unwrapDataKey(metadata.keyGroups, metadata.shamirThreshold, await loadIdentities(metadata.keyGroups.flat(), withKey())))
  assert.is(dk.length, 32)
  for (const f of [createHash('sha256').update(dk).digest('hex'), dk.toString('hex')]) assert.not.ok(f.startsWith(expect))
  assert.is(expect, fingerprintOf(s(e)))
})

test('key header: a value change keeps it, a rotation changes only the fingerprint, a new recipient changes both', async () => {
  const dir = join(t.dir, 'hdr')
  mkdirSync(dir, { recursive: true })
  const other = await makeAgeKey(t.dir, 'other')
  const p = join(dir, 'f.yaml')
  const e1 = await enc('a: one\nb: two\n', 'yaml')
  const h1 = headerOf((await textconvBytes(e1, { filename: p, ...withKey() })).output)
  const e2 = await changeTop(e1, 'yaml', 'b', 'TWO')
  assert.is(headerOf((await textconvBytes(e2, { filename: p, ...withKey() })).output), h1, 'a value change keeps the header')
  writeFileSync(p, e2)
  await rotateFile(p, { ...withKey(), cwd: dir })
  const h3 = headerOf((await textconvFile(p, { ...withKey(), cwd: dir })).output)
  assert.is(h3.split('; data key ')[0], h1.split('; data key ')[0], 'same recipients after a rotation')
  assert.is.not(h3, h1, 'a rotation changes the fingerprint')
  await rotateFile(p, { ...withKey(), cwd: dir, addAge: [other.recipient] })
  const h4 = headerOf((await textconvFile(p, { ...noKey(), cwd: dir })).output)
  assert.ok(h4.startsWith(`# sops-like: recipients ${k.recipient}, ${other.recipient}; data key `), h4)
})

test('key header shows the names the config gives (with and without a key); old revisions in temp files get them from cwd', async () => {
  const dir = join(t.dir, 'names')
  mkdirSync(join(dir, 'sub'), { recursive: true })
  const other = await makeAgeKey(t.dir, 'other2')
  writeFileSync(join(dir, '.sops-like.yaml'), `recipients:\n  ops-lead: ${k.recipient}\ncreation_rules:\n  - age: ops-lead, ${other.recipient}\n`)
  const e = await encryptBytes(Buffer.from(YAML), { inputFormat: 'yaml', groups: [[createAgeRecipient(k.recipient), createAgeRecipient(other.recipient)]] })
  const p = join(dir, 'sub', 's.enc.yaml')
  writeFileSync(p, e)
  for (const o of [withKey(), noKey()]) {
    const h = headerOf((await textconvFile(p, { ...o, cwd: dir })).output)
    assert.match(h, new RegExp(`^# sops-like: recipients ops-lead, ${other.recipient}; data key [0-9a-f]{12}$`))
  }
  // git hands an old revision over as a temp file outside the repository: names come from cwd
  const tmp = join(t.dir, 'XyZ_s.enc.yaml')
  writeFileSync(tmp, e)
  assert.match(headerOf((await textconvFile(tmp, { ...withKey(), cwd: dir })).output), /^# sops-like: recipients ops-lead, /)
  // a broken config never breaks textconv: no names
  writeFileSync(join(dir, '.sops-like.yaml'), `recipients:\n  ops-lead: [\n`)
  assert.match(headerOf((await textconvFile(p, { ...withKey(), cwd: dir })).output), new RegExp(`^# sops-like: recipients ${k.recipient}, `))
  assert.is(readFileSync(p).length, e.length)
})

test('key header with key groups: one line, groups and threshold', async () => {
  const other = await makeAgeKey(t.dir, 'g2')
  const e = await encryptBytes(Buffer.from('a: 1\n'), { inputFormat: 'yaml', groups: [[createAgeRecipient(k.recipient)], [createAgeRecipient(other.recipient)]], threshold: 2 })
  const h = headerOf((await textconvBytes(e, { filename: 'g.yaml', ...withKey() })).output)
  assert.match(h, new RegExp(`^# sops-like: recipients group 1: ${k.recipient}; group 2: ${other.recipient}; shamir threshold 2; data key [0-9a-f]{12}$`))
})

test.run()
