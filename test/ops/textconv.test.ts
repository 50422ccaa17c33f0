/** textconv for git diff: decrypted with a key, keyless view without, warnings, pass-through; never throws. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { textconvBytes, textconvFile } from '../../src/ops/textconv.js'
import { encryptBytes } from '../../src/ops/encrypt.js'
import { openBytes } from '../../src/ops/decrypt.js'
import { sealTree } from '../../src/core/document.js'
import { encryptedCodec } from '../../src/ops/codec.js'
import { loadFormat, type FormatName } from '../../formats/index.js'
import { createAgeRecipient } from '../../src/keys/age.js'
import type { Mapping, Tree } from '../../src/core/tree.js'
import { isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

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

const YAML = `# top comment\ndb:\n    user: admin\n    password: ${CANARY}\nport: 5432\n`

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
  assert.is(s(r.output), YAML)
})

test('JSON and dotenv decrypt too', async () => {
  const json = '{\n\t"a": "one",\n\t"n": 2\n}'
  const rj = await textconvBytes(await enc(json, 'json'), { filename: 'c.enc.json', ...withKey() })
  assert.is(rj.kind, 'decrypted')
  assert.match(s(rj.output), /"a": "one"/)
  const re = await textconvBytes(await enc('A=1\nB=two\n', 'dotenv'), { filename: 'app.env', ...withKey() })
  assert.is(s(re.output), 'A=1\nB=two\n')
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
  assert.ok(summary[0]!.includes(k.recipient))
  assert.match(summary[0]!, /lastmodified \d{4}-/)
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
  const [first, ...rest] = s(r.output).split('\n')
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
  assert.match(s(r.output), /^# sops-like: WARNING: cannot decrypt this file \(a value failed authentication/)
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
  assert.match(s(r.output), /\n\/\/ sops: recipients age /)
  const bin = await encryptBytes(Buffer.from(`bin ${CANARY}`), { inputFormat: 'binary', groups: [[createAgeRecipient(k.recipient)]] })
  const rb = await textconvBytes(bin, { filename: 'blob.dat', ...withKey() })
  assert.is(s(rb.output), `bin ${CANARY}`)
  const rk = await textconvBytes(bin, { filename: 'blob.dat', ...noKey() })
  assert.not.ok(s(rk.output).includes(CANARY))
  assert.match(s(rk.output), /^<encrypted:[0-9a-f]{8}>\n# sops: /)
})

test('textconvFile: missing file gives empty output; notes only through onDebug', async () => {
  const notes: string[] = []
  const r = await textconvFile(join(t.dir, 'missing.yaml'), { ...noKey(), onDebug: (l) => notes.push(l) })
  assert.is(r.output.length, 0)
  assert.is(notes.length, 1)
  const p = join(t.dir, 's.enc.yaml')
  writeFileSync(p, await enc(YAML, 'yaml'))
  const r2 = await textconvFile(p, withKey())
  assert.is(s(r2.output), YAML)
})

test.run()
