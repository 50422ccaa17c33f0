/**
 * A truncated sops file is damaged, not plaintext (src/ops/crypt/decrypt.ts parseEncrypted, with
 * src/core/damaged.ts): cut inside its values, just before its metadata or inside the metadata,
 * in every format, it is reported as damaged (exit 44, with the git command that restores it)
 * or as the metadata/MAC error it truthfully is, by decrypt, run, textconv, check, set and
 * edit; never as "not encrypted" (exit 11), never with a stack trace; and `encrypt` refuses it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, isolatedEnv, type CliResult } from '../../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY } from '../../helpers/fixtures.js'
import { parseEncrypted } from '../../../src/ops/crypt/decrypt.js'
import { bytesLookEncrypted, holdsEncryptedValues } from '../../../src/core/damaged.js'
import { loadFormat } from '../../../src/formats/index.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
const encrypted: Record<string, string> = {}

const PLAIN: Record<string, string> = {
  yaml: `db:\n    user: admin\n    password: ${CANARY}\nlist:\n    - one\n    - two\nport: 5432\n`,
  json: `{\n    "db": {\n        "user": "admin",\n        "password": "${CANARY}"\n    },\n    "port": 5432\n}\n`,
  env: `USER=admin\nPASSWORD=${CANARY}\nPORT=5432\n`,
  ini: `[db]\nuser = admin\npassword = ${CANARY}\n`,
  toml: `port = 5432\n[db]\nuser = "admin"\npassword = "${CANARY}"\n`,
}
/** Where each format's sops metadata begins in the encrypted text. */
const META: Record<string, string> = { yaml: '\nsops:', json: '"sops"', env: '\nsops_', ini: '[sops]', toml: '[sops]' }

const env = () => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, EDITOR: 'true', VISUAL: 'true' })
const cli = (args: string[]) => runCli(args, { env: env(), cwd: t.dir })

test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'a')
  writeFileSync(join(t.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: '\\.(yaml|json|env|ini|toml)$'\n    age: ${k.recipient}\n`)
  for (const [ext, plain] of Object.entries(PLAIN)) {
    writeFileSync(join(t.dir, `plain.${ext}`), plain)
    const r = await cli(['encrypt', `plain.${ext}`])
    assert.is(r.code, 0, r.stderr)
    encrypted[ext] = r.stdout
  }
})
test.after(() => t.cleanup())

interface Cut { ext: string; at: number; where: string; inMetadata: boolean }

/** Truncation points: inside the first and the last value, just before the metadata, and across the metadata. */
function cuts(ext: string): Cut[] {
  const text = encrypted[ext]!
  const meta = text.indexOf(META[ext]!) + (META[ext]!.startsWith('\n') ? 1 : 0)
  assert.ok(meta > 0, ext)
  const first = text.indexOf('ENC[AES256_GCM,')
  const last = text.lastIndexOf('ENC[AES256_GCM,', meta)
  const out: Cut[] = [
    { ext, at: first + 20, where: 'inside the first value', inMetadata: false },
    { ext, at: last + 40, where: 'inside the last value', inMetadata: false },
    { ext, at: meta, where: 'just before the metadata', inMetadata: false },
  ]
  const step = Math.max(1, Math.floor((text.length - meta) / 10))
  for (let at = meta + 5; at < text.length - 1; at += step) out.push({ ext, at, where: `${at - meta} bytes into the metadata`, inMetadata: true })
  return out
}

const one = (r: CliResult) => r.stderr.trim().split('\n')
function assertTruthful(r: CliResult, c: Cut, what: string): void {
  const label = `${c.ext} cut ${c.where}, ${what}: ${r.stderr}`
  assert.is.not(r.code, 11, `reported as not encrypted / invalid metadata: ${label}`)
  assert.is.not(r.code, 1, `internal error: ${label}`)
  assert.is(one(r).length, 1, `not one line: ${label}`)
  assert.not.match(r.stderr, /\n\s+at /, `stack trace: ${label}`)
  if (!c.inMetadata) assert.is(r.code, 44, label)
  else assert.ok([0, 44, 51].includes(r.code), label) // damaged, a MAC that was cut, or cut only in `version` (the data is whole)
  if (r.code === 44) {
    assert.match(r.stderr, /damaged or truncated sops file/, label)
    assert.match(r.stderr, new RegExp(`git checkout -- x\\.${c.ext}\\b`), label)
  }
  assert.not.ok(r.stderr.includes(CANARY) || r.stderr.includes('ENC['), `file content in the message: ${label}`)
}

test('truncated sops files: decrypt reports them damaged (exit 44) in every format and at every cut, never "not encrypted"', async () => {
  let damaged = 0
  for (const ext of Object.keys(PLAIN)) {
    for (const c of cuts(ext)) {
      writeFileSync(join(t.dir, `x.${ext}`), encrypted[ext]!.slice(0, c.at))
      const r = await cli(['decrypt', `x.${ext}`])
      assertTruthful(r, c, 'decrypt')
      if (r.code === 44) damaged++
      if (r.code === 0) assert.ok(r.stdout.includes(CANARY), `${ext}: decrypted to something else`)
    }
  }
  assert.ok(damaged >= 5 * 3 + 10, `only ${damaged} cuts reported as damaged`)
})

test('truncated sops files: run (also with --allow-plaintext), set and edit refuse them as damaged', async () => {
  for (const ext of Object.keys(PLAIN)) {
    for (const c of cuts(ext).filter((c) => !c.inMetadata)) {
      writeFileSync(join(t.dir, `x.${ext}`), encrypted[ext]!.slice(0, c.at))
      const before = readFileSync(join(t.dir, `x.${ext}`))
      assertTruthful(await cli(['run', '-f', `x.${ext}`, '--', process.execPath, '-e', '0']), c, 'run')
      assertTruthful(await cli(['run', '--allow-plaintext', '-f', `x.${ext}`, '--', process.execPath, '-e', '0']), c, 'run --allow-plaintext')
      assertTruthful(await cli(['set', `x.${ext}`, ext === 'env' ? '["USER"]' : '["port"]', '1']), c, 'set')
      assertTruthful(await cli(['edit', `x.${ext}`]), c, 'edit')
      assert.ok(readFileSync(join(t.dir, `x.${ext}`)).equals(before), `${ext}: the damaged file was rewritten`)
    }
  }
})

test('truncated sops files: textconv shows them unchanged behind a warning and exits 0', async () => {
  for (const ext of Object.keys(PLAIN)) {
    for (const c of cuts(ext).filter((c) => !c.inMetadata)) {
      const cut = encrypted[ext]!.slice(0, c.at)
      writeFileSync(join(t.dir, `x.${ext}`), cut)
      const r = await cli(['textconv', `x.${ext}`])
      assert.is(r.code, 0, `${ext} ${c.where}: ${r.stderr}`)
      const [note, ...rest] = r.stdout.split('\n')
      assert.match(note!, /^(#|\/\/) sops-like: WARNING: this file looks damaged or truncated .*restore it from git/, `${ext} ${c.where}`)
      assert.is(rest.join('\n'), cut, `${ext} ${c.where}`)
    }
  }
})

test('truncated sops files: check fails them with the reason (a covered file)', async () => {
  for (const ext of Object.keys(PLAIN)) {
    writeFileSync(join(t.dir, `x.${ext}`), encrypted[ext]!.slice(0, encrypted[ext]!.indexOf(META[ext]!)))
    const r = await cli(['check', `x.${ext}`])
    assert.is(r.code, 40, `${ext}: ${r.stdout}${r.stderr}`)
    assert.match(r.stdout + r.stderr, new RegExp(`x\\.${ext}: .*damaged or truncated sops file`), ext)
  }
})

test('encrypt refuses input that already holds encrypted values (a damaged sops file), also in place', async () => {
  for (const ext of Object.keys(PLAIN)) {
    const cut = encrypted[ext]!.slice(0, encrypted[ext]!.indexOf(META[ext]!))
    writeFileSync(join(t.dir, `x.${ext}`), cut)
    for (const args of [['encrypt', `x.${ext}`], ['encrypt', '-i', `x.${ext}`]]) {
      const r = await cli(args)
      assert.is(r.code, 203, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, /already holds encrypted values.*decrypt it first, or restore it from git/)
      assert.is(r.stdout, '')
      assert.is(readFileSync(join(t.dir, `x.${ext}`), 'utf8'), cut, `${args.join(' ')} changed the file`)
    }
  }
})

test('plaintext stays plaintext: no marker, or the marker inside a longer value, is "not encrypted" (exit 11)', async () => {
  writeFileSync(join(t.dir, 'p.yaml'), 'a: b\n')
  assert.is((await cli(['decrypt', 'p.yaml'])).code, 11)
  writeFileSync(join(t.dir, 'doc.yaml'), 'note: values look like ENC[AES256_GCM,data:…] once encrypted\n')
  assert.is((await cli(['decrypt', 'doc.yaml'])).code, 11)
  const enc = await cli(['encrypt', 'doc.yaml'])
  assert.is(enc.code, 0, enc.stderr)
  const tc = await cli(['textconv', 'doc.yaml'])
  assert.is(tc.stdout, 'note: values look like ENC[AES256_GCM,data:…] once encrypted\n')
})

test('parseEncrypted: the damaged check names the file only when given; markdown read as binary is not "damaged"', async () => {
  const cut = Buffer.from(encrypted.yaml!.slice(0, encrypted.yaml!.indexOf('\nsops:')))
  try {
    await parseEncrypted(cut, 'yaml')
    assert.unreachable()
  } catch (e) {
    assert.is((e as { exitCode?: number }).exitCode, 44)
    assert.match((e as Error).message, /^the file looks like a damaged .*git checkout -- FILE/)
  }
  const md = Buffer.from('# Notes\nValues look like `ENC[AES256_GCM,data:…]`.\n')
  try {
    await parseEncrypted(md, 'binary')
    assert.unreachable()
  } catch (e) {
    assert.is((e as { code?: string }).code, 'MALFORMED_INPUT')
  }
  assert.ok(bytesLookEncrypted(Buffer.from('\ufeff {"data": "ENC[AES256_GCM,da'), true))
  assert.not.ok(bytesLookEncrypted(md, true))
  assert.ok(bytesLookEncrypted(md, false))
  const yaml = await loadFormat('yaml')
  assert.ok(holdsEncryptedValues(yaml.parse(Buffer.from('a:\n  - x\n  - ENC[AES256_GCM,data:x]\n'))))
  assert.ok(holdsEncryptedValues(yaml.parse(Buffer.from('a: 1 #ENC[AES256_GCM,data:x]\n'))))
  assert.not.ok(holdsEncryptedValues(yaml.parse(Buffer.from('a: x ENC[AES256_GCM,data:x]\n'))))
})

test.run()
