/**
 * Shared pieces of the adversarial suite: a private "world" (keys, config, TMPDIR and
 * XDG_RUNTIME_DIR inside one temp folder), a sample document per format with planted
 * canaries, byte-level tampering of encrypted files, file-system snapshots and the
 * assertions every hostile input must pass (one-line error, exit code, no stack
 * trace, no canary, inputs unchanged).
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, openSync, readSync, closeSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join, relative } from 'node:path'
import * as assert from 'uvu/assert'
import { loadFormat, type FormatName } from '../../src/formats/index.js'
import { encryptBytes } from '../../src/ops/crypt/encrypt.js'
import { encryptedCodec } from '../../src/ops/crypt/codec.js'
import { parseEncrypted } from '../../src/ops/crypt/decrypt.js'
import { attachMetadata } from '../../src/core/metadata-layout.js'
import { metadataToNode, type Metadata } from '../../src/core/metadata.js'
import { createAgeRecipient } from '../../src/keys/age.js'
import { isolatedEnv, type CliResult } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

export { CANARY }
export const FORMATS: readonly FormatName[] = ['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary']
export const EXT: Record<FormatName, string> = { yaml: 'yaml', json: 'json', dotenv: 'env', ini: 'ini', toml: 'toml', binary: 'bin' }

/**
 * One plaintext per format, in the format's canonical layout (decrypt gives it back byte for
 * byte). Each holds the canary in a secret value and in a comment (comments are encrypted),
 * a second string value, an int, a list where the format has one, and one value left in clear
 * by the default `_unencrypted` suffix (`visible`).
 */
export const SAMPLE: Record<FormatName, Buffer> = {
  yaml: Buffer.from(`# a comment holding ${CANARY}
db:
    user: admin
    password: ${CANARY}
    port: 5432
list:
    - one
    - ${CANARY}-item
note_unencrypted: visible
other: value
`),
  json: Buffer.from(`{
\t"db": {
\t\t"user": "admin",
\t\t"password": "${CANARY}",
\t\t"port": 5432
\t},
\t"list": [
\t\t"one",
\t\t"${CANARY}-item"
\t],
\t"note_unencrypted": "visible",
\t"other": "value"
}
`),
  dotenv: Buffer.from(`# a comment holding ${CANARY}
DB_USER=admin
DB_PASSWORD=${CANARY}
DB_PORT=5432
note_unencrypted=visible
OTHER=value
`),
  ini: Buffer.from(`; a comment holding ${CANARY}
[db]
user             = admin
password         = ${CANARY}
port             = 5432
note_unencrypted = visible

[other]
key = value
`),
  toml: Buffer.from(`# a comment holding ${CANARY}
note_unencrypted = "visible"
other = "value"

[db]
user = "admin"
password = "${CANARY}"
port = 5432
list = ["one", "${CANARY}-item"]
`),
  binary: Buffer.concat([Buffer.from(`binary\u0000${CANARY}\n`), Buffer.from([0xff, 0xfe, 0x00, 0x80])]),
}

/** Tree paths into SAMPLE: a secret str value and a second one (for set/unset). */
export const PATHS: Record<FormatName, { secret: string; other: string }> = {
  yaml: { secret: '["db"]["password"]', other: '["other"]' },
  json: { secret: '["db"]["password"]', other: '["other"]' },
  dotenv: { secret: '["DB_PASSWORD"]', other: '["OTHER"]' },
  ini: { secret: '["db"]["password"]', other: '["other"]["key"]' },
  toml: { secret: '["db"]["password"]', other: '["other"]' },
  binary: { secret: '["data"]', other: '["data"]' },
}

export interface World {
  dir: string
  tmp: string
  xdg: string
  key: TestKey
  /** A key the files are NOT encrypted to. */
  stranger: TestKey
  env: NodeJS.ProcessEnv
  cleanup(): void
}

/**
 * A temp folder with two age keys, a `.sops-like.yaml` whose rule encrypts to `key`, and
 * `tmp/` + `xdg/` used as TMPDIR and XDG_RUNTIME_DIR. `env` is isolated (no HOME keys)
 * and has an EDITOR that changes `admin` to `root` (sed, no shell).
 */
export async function makeWorld(prefix = 'sops-like-adv-'): Promise<World> {
  const t = tempDir(prefix)
  const keysDir = join(t.dir, 'keys')
  mkdirSync(keysDir)
  const key = await makeAgeKey(keysDir, 'main')
  const stranger = await makeAgeKey(keysDir, 'stranger')
  const tmp = join(t.dir, 'tmp')
  const xdg = join(t.dir, 'xdg')
  mkdirSync(tmp)
  mkdirSync(xdg, { mode: 0o700 })
  writeFileSync(join(t.dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: .*\n    age: ${key.recipient}\n`)
  const env = isolatedEnv({ SOPS_AGE_KEY_FILE: key.file, TMPDIR: tmp, XDG_RUNTIME_DIR: xdg, EDITOR: 'sed -i s/admin/root/' })
  return { dir: t.dir, tmp, xdg, key, stranger, env, cleanup: t.cleanup }
}

/** Encrypts plaintext with the library (one age recipient). */
export async function encryptWith(format: FormatName, plain: Uint8Array, recipient: string): Promise<Buffer> {
  return Buffer.from(await encryptBytes(plain, { inputFormat: format, groups: [[createAgeRecipient(recipient)]] }))
}

/** Rewrites an encrypted file's metadata (the MAC does not cover it) and emits it again. */
export async function withMetadata(format: FormatName, enc: Uint8Array, change: (md: Metadata) => void): Promise<Buffer> {
  const fmt = await loadFormat(format)
  const { tree, metadata } = await parseEncrypted(enc, format)
  change(metadata)
  return Buffer.from((await encryptedCodec(fmt)).emit(attachMetadata(tree, metadataToNode(metadata), fmt.metadataLayout)))
}

// ---------- finding and tampering ENC values in encrypted text ----------

export const ENC_G = /ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]*),tag:([A-Za-z0-9+/=]*),type:([a-z]+)\]/g

export interface EncHit { text: string; index: number; data: string; iv: string; tag: string; type: string; isMac: boolean }

/** Every ENC value in an encrypted file, in order; the MAC is the one on a `mac` line. */
export function encValues(text: string): EncHit[] {
  const out: EncHit[] = []
  for (const m of text.matchAll(ENC_G)) {
    const lineStart = text.lastIndexOf('\n', m.index!) + 1
    const prefix = text.slice(lineStart, m.index!)
    out.push({ text: m[0], index: m.index!, data: m[1]!, iv: m[2]!, tag: m[3]!, type: m[4]!, isMac: /(^|[^a-z])mac[^a-z]/.test(prefix) })
  }
  return out
}

/** The encrypted data values (not comments, not the MAC). */
export const dataValues = (text: string): EncHit[] => encValues(text).filter((h) => !h.isMac && h.type !== 'comment')
export const macValue = (text: string): EncHit => {
  const m = encValues(text).find((h) => h.isMac)
  if (!m) throw new Error('no MAC in the encrypted text')
  return m
}

/** Replaces one occurrence (by position) of `hit` in `text`. */
export const replaceHit = (text: string, hit: EncHit, by: string): string => text.slice(0, hit.index) + by + text.slice(hit.index + hit.text.length)

/** The secret value's ENC: the one holding the canary (2nd data value in every sample but binary). */
export function secretHit(format: FormatName, text: string): EncHit {
  const vals = dataValues(text)
  return format === 'binary' ? vals[0]! : vals[1]!
}

/** Flips the first base64 character of a field to another valid one (same length, different bytes). */
export const flipB64 = (s: string): string => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)

// ---------- file-system snapshots ----------

export interface Entry { kind: 'file' | 'dir' | 'link' | 'other'; mode: number; hash?: string; target?: string }

function hashFile(path: string): string {
  const h = createHash('sha256')
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      h.update(buf.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return h.digest('hex')
}

/** Every entry under `root` (symlinks not followed) with its mode and content hash. */
export function snapshot(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      const st = lstatSync(p)
      const rel = relative(root, p)
      if (st.isSymbolicLink()) out.set(rel, { kind: 'link', mode: st.mode & 0o7777, target: readlinkSync(p) })
      else if (st.isDirectory()) {
        out.set(rel, { kind: 'dir', mode: st.mode & 0o7777 })
        if (st.mode & 0o100 || process.getuid?.() === 0) walk(p)
      } else if (st.isFile()) out.set(rel, { kind: 'file', mode: st.mode & 0o7777, hash: hashFile(p) })
      else out.set(rel, { kind: 'other', mode: st.mode & 0o7777 })
    }
  }
  walk(root)
  return out
}

/** Paths added, removed or changed between two snapshots. */
export function changes(before: Map<string, Entry>, after: Map<string, Entry>): string[] {
  const out: string[] = []
  for (const [p, e] of before) {
    const a = after.get(p)
    if (!a) out.push(`removed ${p}`)
    else if (a.kind !== e.kind || a.mode !== e.mode || a.hash !== e.hash || a.target !== e.target) out.push(`changed ${p}`)
  }
  for (const p of after.keys()) if (!before.has(p)) out.push(`added ${p}`)
  return out
}

/** Regular files under the roots whose bytes contain `needle` (read in chunks; symlinks not followed). */
export function filesContaining(roots: string[], needle: string | Buffer): string[] {
  const n = Buffer.isBuffer(needle) ? needle : Buffer.from(needle)
  const hits: string[] = []
  const scan = (path: string): void => {
    const fd = openSync(path, 'r')
    try {
      const chunk = Buffer.allocUnsafe(1 << 20)
      let carry = Buffer.alloc(0)
      for (;;) {
        const got = readSync(fd, chunk, 0, chunk.length, null)
        if (got === 0) return
        const window = Buffer.concat([carry, chunk.subarray(0, got)])
        if (window.includes(n)) { hits.push(path); return }
        carry = window.subarray(Math.max(0, window.length - n.length + 1))
      }
    } finally {
      closeSync(fd)
    }
  }
  const walk = (dir: string): void => {
    let names: string[]
    try { names = readdirSync(dir) } catch { return }
    for (const name of names) {
      const p = join(dir, name)
      let st
      try { st = lstatSync(p) } catch { continue }
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) scan(p)
    }
  }
  for (const r of roots) if (existsSync(r)) walk(r)
  return hits
}

// ---------- assertions ----------

const STACK = /^\s+at .+[(:]\d+/m

/** A failed command: its exit code, one `sops-like: ` line on stderr, no stack, no canary, nothing on stdout. */
export function assertCleanFailure(r: CliResult, code: number, what: string, opts: { stdout?: 'empty' | 'any'; lines?: 'one' | 'each' } = {}): void {
  const ctx = `${what}\n--- stderr:\n${r.stderr}--- exit ${r.code}`
  assert.is(r.code, code, `exit code: ${ctx}`)
  assert.ok(r.stderr.endsWith('\n'), `stderr ends with a newline: ${ctx}`)
  const lines = r.stderr.slice(0, -1).split('\n')
  if ((opts.lines ?? 'one') === 'one') assert.is(lines.length, 1, `one stderr line: ${ctx}`)
  for (const l of lines) assert.ok(l.startsWith('sops-like: '), `each stderr line starts with "sops-like: ": ${ctx}`)
  assert.not.match(r.stderr, STACK, `no stack trace: ${ctx}`)
  assert.not.ok(r.stderr.includes('internal error'), `not an internal error: ${ctx}`)
  if ((opts.stdout ?? 'empty') === 'empty') assert.is(r.stdout, '', `nothing on stdout: ${ctx}`)
  assertNoCanary(r, what)
}

export function assertNoCanary(r: Pick<CliResult, 'stdout' | 'stderr'>, what: string, canary = CANARY): void {
  assert.not.ok(r.stdout.includes(canary), `canary on stdout: ${what}`)
  assert.not.ok(r.stderr.includes(canary), `canary on stderr: ${what}`)
}

export function assertNoStack(s: string, what: string): void {
  assert.not.match(s, STACK, `no stack trace: ${what}`)
}

/** Makes a folder tree readable and traversable by everyone (for commands run as another user). */
export function openUp(path: string): void {
  const st = lstatSync(path)
  if (st.isSymbolicLink()) return
  chmodSync(path, st.isDirectory() ? 0o755 : (st.mode & 0o777) | 0o044)
  if (st.isDirectory()) for (const n of readdirSync(path)) openUp(join(path, n))
}

export const read = (p: string): Buffer => readFileSync(p)
