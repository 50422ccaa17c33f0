/**
 * Hostile inputs, table-driven, across every format and every command that reads a file.
 *
 * Each failing case asserts: the documented exit code, exactly one `sops-like: ` line on
 * stderr, no stack trace, nothing on stdout, no planted canary anywhere in the output, and
 * every file in the case folder (plus TMPDIR and XDG_RUNTIME_DIR) byte-identical afterwards.
 * Cases that must succeed (CRLF, BOM, duplicate dotenv keys, symlinks, 50 MB…) assert what
 * "success" means for them: an exact or canonical round trip, and no canary in the output.
 *
 * Decisions documented here (the outcome for inputs where "error" is not the only answer):
 * - JSON and INI read invalid UTF-8 as U+FFFD, like Go (docs/format.md §7.6/§7.9): encrypting succeeds
 *   and the file round-trips as the format read it; TOML refuses it (2); dotenv and binary
 *   keep the exact bytes.
 * - CRLF: dotenv, TOML and YAML keep the bytes exactly; JSON and INI are re-emitted in their
 *   canonical layout (LF), with no `\r` left in any value.
 * - Duplicate keys: JSON, TOML and YAML refuse them on encrypt (2; sops' JSON reader keeps them on decrypt); dotenv keeps both lines (as sops);
 *   INI merges them, last value wins (gopkg.in/ini.v1, as sops).
 * - A symlinked target is written through (the link stays, the file it points to is
 *   replaced atomically); a device such as /dev/full is written into, never replaced.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync, lstatSync, readlinkSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { loadFormat, type FormatName } from '../../src/formats/index.js'
import { parseEncrypted } from '../../src/ops/crypt/decrypt.js'
import { runCli, type CliResult } from '../helpers/cli.js'
import {
  CANARY, EXT, FORMATS, PATHS, SAMPLE, assertCleanFailure, assertNoCanary, changes, dataValues, encValues, encryptWith,
  flipB64, macValue, makeWorld, replaceHit, secretHit, snapshot, withMetadata, type World,
} from './harness.js'
import { UNPRIVILEGED, runAsUser } from './spawn.js'

type Files = Record<string, string | Uint8Array>

interface Row {
  name: string
  format?: FormatName
  /** Files of the case folder (relative names). */
  files: (w: World) => Promise<Files> | Files
  args: string[] | ((w: World) => string[])
  /** Expected exit code. */
  code: number
  env?: (w: World) => NodeJS.ProcessEnv
  /** Files that may change (successful writes). */
  writes?: string[]
  /** Batch commands print one line per file plus a summary. */
  lines?: 'one' | 'each'
  /** Commands that print a report on stdout even when they fail. */
  stdout?: 'empty' | 'any'
  /** The command prints plaintext on purpose (decrypt, textconv): the canary may be on stdout. */
  secretOut?: boolean
  /** Extra checks on success. */
  ok?: (r: CliResult, dir: string, w: World) => Promise<void> | void
  /** Runs as an unprivileged user (permission cases). */
  asUser?: boolean
  /** Set up the case folder after the files are written (symlinks, modes). */
  prepare?: (dir: string, w: World) => void
  skip?: string
}

let w: World
test.before(async () => { w = await makeWorld() })
const rows: Row[] = []
const encCache = new Map<FormatName, string>()
/** The encrypted SAMPLE of a format (made once, with the library). */
async function enc(f: FormatName): Promise<string> {
  let e = encCache.get(f)
  if (!e) {
    e = (await encryptWith(f, SAMPLE[f], w.key.recipient)).toString('utf8')
    encCache.set(f, e)
  }
  return e
}
const fileOf = (f: FormatName, base = 'secret'): string => `${base}.${EXT[f]}`

// ---------------------------------------------------------------------------
// 1. Tampered encrypted files, every format, through `decrypt`
// ---------------------------------------------------------------------------

interface Tamper { name: string; code: number; only?: FormatName[]; not?: FormatName[]; apply(e: string, f: FormatName): string | Promise<string> }

const lineOf = (text: string, index: number): [number, number] => {
  const s = text.lastIndexOf('\n', index) + 1
  const e = text.indexOf('\n', index)
  return [s, e === -1 ? text.length : e + 1]
}
const dropLine = (text: string, index: number): string => { const [s, e] = lineOf(text, index); return text.slice(0, s) + text.slice(e) }
const withSecret = (e: string, f: FormatName, by: (t: string) => string): string => { const h = secretHit(f, e); return replaceHit(e, h, by(h.text)) }

const TAMPERS: Tamper[] = [
  { name: 'ENC value without its tag field', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace(/,tag:[^,]*/, '')) },
  { name: 'ENC value without its type field', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace(/,type:[a-z]+/, '')) },
  { name: 'ENC value without its closing bracket', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.slice(0, -1)) },
  { name: 'ENC data that is not base64', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace('data:', 'data:@@')) },
  { name: 'ENC iv of the wrong length (12 bytes)', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace(/iv:[^,]*/, `iv:${Buffer.alloc(12).toString('base64')}`)) },
  { name: 'ENC iv empty', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace(/iv:[^,]*/, 'iv:')) },
  { name: 'ENC tag of the wrong length (8 bytes)', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace(/tag:[^,]*/, `tag:${Buffer.alloc(8).toString('base64')}`)) },
  { name: 'ENC value of an unknown type', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace(/type:[a-z]+/, 'type:blob')) },
  { name: 'ENC value with an unknown cipher', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace('AES256_GCM', 'CHACHA20_POLY1305')) },
  { name: 'ENC ciphertext changed', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace(/data:([^,]*)/, (_m, d: string) => `data:${flipB64(d)}`)) },
  { name: 'ENC tag changed', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace(/tag:([^,]*)/, (_m, d: string) => `tag:${flipB64(d)}`)) },
  { name: 'ENC type changed from str to int', code: 25, apply: (e, f) => withSecret(e, f, (t) => t.replace('type:str', 'type:int')) },
  {
    name: 'a value copied to another key (AAD mismatch)', code: 25, not: ['binary'],
    apply: (e) => { const [a, b] = dataValues(e); return replaceHit(e, a!, b!.text) },
  },
  {
    name: 'two values swapped', code: 25,
    apply: (e, f) => {
      // binary has one value: swap it with the MAC
      const [a, b] = f === 'binary' ? [dataValues(e)[0]!, macValue(e)] : dataValues(e)
      return e.slice(0, a!.index) + b!.text + e.slice(a!.index + a!.text.length, b!.index) + a!.text + e.slice(b!.index + b!.text.length)
    },
  },
  { name: 'an encrypted value replaced by clear text', code: 25, apply: (e, f) => withSecret(e, f, () => 'plain') },
  { name: 'a clear (_unencrypted) value changed', code: 51, not: ['binary'], apply: (e) => e.replace('visible', 'modified') },
  { name: 'an encrypted value removed', code: 51, not: ['binary'], apply: (e) => dropLine(e, dataValues(e).at(-1)!.index) },
  { name: 'MAC removed', code: 51, apply: (e) => dropLine(e, macValue(e).index) },
  { name: 'MAC emptied', code: 51, apply: (e) => replaceHit(e, macValue(e), '') },
  { name: 'MAC changed', code: 51, apply: (e) => { const m = macValue(e); return replaceHit(e, m, m.text.replace(`data:${m.data}`, `data:${flipB64(m.data)}`)) } },
  { name: 'MAC truncated', code: 51, apply: (e) => { const m = macValue(e); return replaceHit(e, m, m.text.replace(`data:${m.data}`, `data:${m.data.slice(0, 12)}`)) } },
  { name: 'MAC replaced by a value\'s ENC', code: 51, apply: (e) => replaceHit(e, macValue(e), dataValues(e)[0]!.text) },
  { name: 'lastmodified changed', code: 51, apply: (e) => e.replace(/(lastmodified\W+)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/, '$12001-01-01T00:00:00Z') },
  { name: 'lastmodified not a time', code: 11, apply: (e) => e.replace(/(lastmodified\W+)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/, '$1yesterday') },
  { name: 'metadata without any key', code: 11, apply: (e, f) => withMetadata(f, Buffer.from(e), (md) => { md.keyGroups = [[]] }).then((b) => b.toString('utf8')) },
  {
    name: 'age stanza damaged (data key cannot be unwrapped)', code: 128,
    apply: (e) => { const i = e.indexOf('IFgyNTUxOS'); if (i < 0) throw new Error('no age stanza'); return e.slice(0, i) + 'IFgyNTUyOS' + e.slice(i + 10) },
  },
  { name: 'plaintext file given to decrypt (no metadata)', code: 11, not: ['binary'], apply: (_e, f) => SAMPLE[f].toString('utf8') },
]

for (const f of FORMATS) {
  const file = fileOf(f)
  for (const t of TAMPERS) {
    if (t.only && !t.only.includes(f)) continue
    if (t.not?.includes(f)) continue
    rows.push({
      name: `${f}: ${t.name} → ${t.code}`,
      format: f,
      files: async () => ({ [file]: await t.apply(await enc(f), f) }),
      args: ['decrypt', file],
      code: t.code,
    })
  }
  rows.push({
    name: `${f}: encrypted for someone else (no matching key) → 128`,
    format: f,
    files: async () => ({ [file]: await enc(f) }),
    env: (w) => ({ ...w.env, SOPS_AGE_KEY_FILE: w.stranger.file }),
    args: ['decrypt', file],
    code: 128,
  })
  rows.push({
    name: `${f}: encrypted file cut in half → 44 (damaged, not "not encrypted" or "malformed")`,
    format: f,
    // dotenv, INI and block YAML still parse without their metadata (at the end), JSON and TOML do
    // not: either way the ENC values say it is a damaged sops file
    files: async () => { const e = await enc(f); return { [file]: e.slice(0, Math.floor(e.length / 2)) } },
    args: ['decrypt', file],
    code: 44,
  })
  rows.push({
    name: `${f}: garbage bytes holding the canary → 10`,
    format: f,
    files: () => ({ [file]: Buffer.concat([Buffer.from(`}{ not a document ${CANARY}\n\u0000\u0001`), Buffer.from([0xff, 0xfe, 0x0a])]) }),
    args: ['decrypt', file],
    code: 2,
  })
}

// ---------------------------------------------------------------------------
// 2. Every command that opens an encrypted file, on tampered files
// ---------------------------------------------------------------------------

interface CommandCase { cmd: string; args: (file: string, f: FormatName) => string[]; codeFor: (tamperCode: number) => number; lines?: 'one' | 'each'; stdout?: 'empty' | 'any'; secretOut?: boolean }

const COMMANDS: CommandCase[] = [
  { cmd: 'set', args: (file, f) => ['set', file, PATHS[f].other, '"new"'], codeFor: (c) => c },
  { cmd: 'unset', args: (file, f) => ['unset', file, PATHS[f].other], codeFor: (c) => c },
  { cmd: 'edit', args: (file) => ['edit', file], codeFor: (c) => c },
  { cmd: 'rotate', args: (file) => ['rotate', file], codeFor: (c) => c },
  { cmd: 'rotate --add-age', args: (file) => ['rotate', '--add-age', w.stranger.recipient, file], codeFor: (c) => c },
  { cmd: 'run', args: (file) => ['run', '-f', file, '--', process.execPath, '-e', 'process.exit(0)'], codeFor: (c) => c },
  { cmd: 'run --as-file', args: (file) => ['run', '--as-file', file, '--', process.execPath, '-e', 'process.exit(0)', '{}'], codeFor: (c) => c },
  { cmd: 'decrypt -o', args: (file) => ['decrypt', '-o', `out-${file}`, file], codeFor: (c) => c },
  { cmd: 'decrypt --extract', args: (file, f) => ['decrypt', '--extract', PATHS[f].secret, file], codeFor: (c) => c },
  { cmd: 'check', args: (file) => ['check', file], codeFor: () => 40, lines: 'each' },
  // example and status never decrypt: tampered values do not matter to them; broken syntax does
  { cmd: 'example', args: (file) => ['example', file], codeFor: (c) => (c === 25 || c === 51 ? 0 : c) },
  { cmd: 'status', args: (file) => ['status', file], codeFor: (c) => (c === 25 || c === 51 ? 0 : c), stdout: 'any' },
  // textconv always exits 0 (git diff must keep working) and may show plaintext: that is its job
  { cmd: 'textconv', args: (file) => ['textconv', file], codeFor: () => 0, secretOut: true, stdout: 'any' },
]

const CMD_TAMPERS = TAMPERS.filter((t) => ['two values swapped', 'MAC changed', 'ENC data that is not base64'].includes(t.name))
for (const f of ['yaml', 'json', 'dotenv', 'ini'] as FormatName[]) {
  const file = fileOf(f)
  for (const c of COMMANDS) {
    for (const t of CMD_TAMPERS) {
      const code = c.codeFor(t.code)
      rows.push({
        name: `${f}: ${c.cmd} on a file with ${t.name} → ${code}`,
        format: f,
        files: async () => ({ [file]: await t.apply(await enc(f), f) }),
        args: () => c.args(file, f),
        code,
        ...(c.lines ? { lines: c.lines } : {}),
        ...(c.stdout ? { stdout: c.stdout } : {}),
        ...(c.secretOut ? { secretOut: true } : {}),
      })
    }
  }
  rows.push({
    name: `${f}: textconv on a file with a tampered value shows no plaintext`,
    format: f,
    files: async () => ({ [file]: await TAMPERS.find((t) => t.name === 'two values swapped')!.apply(await enc(f), f) }),
    args: ['textconv', file],
    code: 0,
    stdout: 'any',
  })
}

// ---------------------------------------------------------------------------
// 3. Unknown master-key kinds and unknown metadata fields survive every rewrite
// ---------------------------------------------------------------------------

async function withUnknownKinds(f: FormatName): Promise<Buffer> {
  return withMetadata(f, Buffer.from(await enc(f)), (md) => {
    md.keyGroups[0]!.push({ type: 'frobnicator', fields: { id: 'projects/x/keys/y', enc: 'c2VjcmV0LWJsb2I=' } })
    md.extra.push({ kind: 'pair', key: 'zz_future_field', value: { kind: 'scalar', type: 'str', text: 'keep me' } })
  })
}
async function assertKindsKept(file: string, f: FormatName): Promise<void> {
  const { metadata } = await parseEncrypted(readFileSync(file), f)
  const kept = metadata.keyGroups.flat().find((e) => e.type === 'frobnicator')
  assert.ok(kept, 'unknown key kind kept')
  assert.equal({ ...kept!.fields }, { id: 'projects/x/keys/y', enc: 'c2VjcmV0LWJsb2I=' })
  assert.ok(metadata.extra.some((p) => p.key === 'zz_future_field'), 'unknown metadata field kept')
}
for (const f of FORMATS) {
  const file = fileOf(f)
  rows.push({ name: `${f}: unknown key kind: decrypt works`, format: f, files: async () => ({ [file]: await withUnknownKinds(f) }), args: ['decrypt', file], code: 0, secretOut: true })
  rows.push({
    name: `${f}: unknown key kind: set keeps it`, format: f,
    files: async () => ({ [file]: await withUnknownKinds(f) }),
    args: f === 'binary' ? ['set', file, '["data"]', '"new"'] : ['set', file, PATHS[f].other, '"new"'],
    code: 0, writes: [file],
    ok: (_r, dir) => assertKindsKept(join(dir, file), f),
  })
  if (f !== 'binary') {
    rows.push({
      name: `${f}: unknown key kind: edit keeps it`, format: f,
      files: async () => ({ [file]: await withUnknownKinds(f) }),
      args: ['edit', file], code: 0, writes: [file],
      ok: (_r, dir) => assertKindsKept(join(dir, file), f),
    })
  }
  rows.push({
    // sops-like cannot wrap a new data key for a kind it does not know: it refuses, so nothing is dropped
    name: `${f}: unknown key kind: rotate refuses (30) and keeps the file`, format: f,
    files: async () => ({ [file]: await withUnknownKinds(f) }),
    args: ['rotate', file], code: 30,
  })
}

// ---------------------------------------------------------------------------
// 4. Hostile plaintext, through `encrypt -i` (an error must leave the file as it was)
// ---------------------------------------------------------------------------

const canonical = async (f: FormatName, bytes: Uint8Array): Promise<Buffer> => { const fmt = await loadFormat(f); return Buffer.from(fmt.emit(fmt.parse(bytes))) }

/** After `encrypt -i`: the file is encrypted (no canary), and decrypts to `expect` (exact bytes, or the canonical form). */
function roundTrips(f: FormatName, name: string, input: Uint8Array, expect: 'exact' | 'canonical', extra?: (plain: Buffer) => void) {
  return async (_r: CliResult, dir: string, w: World): Promise<void> => {
    const encrypted = readFileSync(join(dir, name))
    assert.not.ok(encrypted.includes(CANARY), 'the encrypted file holds no canary')
    const d = await runCli(['decrypt', name], { cwd: dir, env: w.env })
    assert.is(d.code, 0, d.stderr)
    const want = expect === 'exact' ? Buffer.from(input) : await canonical(f, input)
    assert.ok(d.stdoutBytes.equals(want), `${name} decrypts to the ${expect} form:\n${JSON.stringify(d.stdout)}\n${JSON.stringify(want.toString('utf8'))}`)
    extra?.(d.stdoutBytes)
  }
}
const noCR = (plain: Buffer): void => assert.not.ok(plain.includes('\r'), 'no \\r left in the values')

interface PlainCase { name: string; bytes: Uint8Array | string; code: number; expect?: 'exact' | 'canonical'; extra?: (plain: Buffer) => void }
const deep = (open: string, close: string, n = 10_000): string => open.repeat(n) + close.repeat(n)
const nonUtf8 = (before: string, after: string): Buffer => Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(after)])
const BOM = '\ufeff'

const PLAIN: Record<FormatName, PlainCase[]> = {
  yaml: [
    { name: 'alias bomb (billion laughs)', code: 15, bytes: ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill('*' + String.fromCharCode(97 + i)).join(',')}]`), `secret: ${CANARY}`].join('\n') + '\n' },
    { name: '10,000-level nesting', code: 2, bytes: `k: ${deep('[', ']')}\nsecret: ${CANARY}\n` },
    { name: '10,000-level block nesting', code: 2, bytes: Array.from({ length: 10_000 }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + ` ${CANARY}\n` },
    { name: 'duplicate keys', code: 2, bytes: `a: 1\na: ${CANARY}\n` },
    { name: 'a BOM', code: 0, bytes: `${BOM}a: ${CANARY}\n`, expect: 'canonical' },
    { name: 'CRLF line endings', code: 0, bytes: `a: ${CANARY}\r\nb:\r\n    c: 1\r\n`, expect: 'exact' },
    { name: 'non-UTF-8 bytes', code: 2, bytes: nonUtf8(`a: ${CANARY}`, '\n') },
    { name: 'an empty file', code: 92, bytes: '' },
    { name: 'only a comment', code: 2, bytes: `# ${CANARY}\n` },
    { name: 'a top-level sops key', code: 203, bytes: `a: ${CANARY}\nsops: 1\n` },
    { name: 'an unterminated quote holding the canary', code: 2, bytes: `a: "${CANARY}\nb: 1\n` },
    { name: 'tab indentation', code: 2, bytes: `a:\n\tb: ${CANARY}\n` },
  ],
  json: [
    { name: '10,000-level nesting', code: 2, bytes: `{"secret": "${CANARY}", "k": ${deep('[', ']')}}` },
    { name: '10,000-level object nesting', code: 2, bytes: `{"secret": "${CANARY}", "k": ${deep('{"a":', '}')}}`.replace('{"a":}', '{"a":1}') },
    { name: 'duplicate keys', code: 2, bytes: `{"a": "${CANARY}", "a": 2}` },
    { name: 'a BOM', code: 2, bytes: `${BOM}{"a": "${CANARY}"}` },
    { name: 'CRLF line endings', code: 0, bytes: `{\r\n\t"a": "${CANARY}",\r\n\t"b": 1\r\n}\r\n`, expect: 'canonical', extra: noCR },
    { name: 'non-UTF-8 bytes (read as U+FFFD, like Go)', code: 0, bytes: nonUtf8(`{"a": "${CANARY}`, '"}'), expect: 'canonical' },
    { name: 'an empty file', code: 2, bytes: '' },
    { name: 'only a comment', code: 2, bytes: `// ${CANARY}\n` },
    { name: 'a top-level sops key', code: 203, bytes: `{"a": "${CANARY}", "sops": {}}` },
    { name: 'an unterminated string holding the canary', code: 2, bytes: `{"a": "${CANARY}` },
    { name: 'a number out of range', code: 2, bytes: `{"a": "${CANARY}", "n": 1e400}` },
    { name: 'a NaN literal', code: 2, bytes: `{"a": "${CANARY}", "n": NaN}` },
    { name: 'a top-level array', code: 2, bytes: `["${CANARY}"]` },
  ],
  dotenv: [
    { name: 'a BOM (kept in the first key, as sops)', code: 0, bytes: `${BOM}A=${CANARY}\n`, expect: 'exact' },
    { name: 'CRLF line endings', code: 0, bytes: `A=${CANARY}\r\nB=2\r\n`, expect: 'exact' },
    { name: 'non-UTF-8 bytes', code: 0, bytes: nonUtf8(`A=${CANARY}`, '\n'), expect: 'exact' },
    { name: 'duplicate keys (both kept, as sops)', code: 0, bytes: `A=${CANARY}\nA=2\n`, expect: 'exact' },
    { name: 'an empty file', code: 0, bytes: '', expect: 'exact' },
    { name: 'only a comment', code: 0, bytes: `# ${CANARY}\n`, expect: 'exact' },
    { name: 'NUL bytes in a value', code: 0, bytes: `A=${CANARY}\u0000x\n`, expect: 'exact' },
    { name: 'a sops_ key', code: 203, bytes: `A=${CANARY}\nsops_version=1\n` },
    { name: 'a line without = holding the canary', code: 2, bytes: `A=1\n${CANARY}\n` },
  ],
  ini: [
    { name: 'a BOM (dropped, as ini.v1)', code: 0, bytes: `${BOM}[s]\na = ${CANARY}\n`, expect: 'canonical' },
    { name: 'CRLF line endings', code: 0, bytes: `[s]\r\na = ${CANARY}\r\nb = 2\r\n`, expect: 'canonical', extra: noCR },
    { name: 'non-UTF-8 bytes (read as U+FFFD)', code: 0, bytes: nonUtf8(`[s]\na = ${CANARY}`, '\n'), expect: 'canonical' },
    { name: 'duplicate keys (merged, last wins, as ini.v1)', code: 0, bytes: `[s]\na = ${CANARY}\na = 2\n`, expect: 'canonical' },
    { name: 'an empty file', code: 0, bytes: '', expect: 'exact' },
    { name: 'only a comment (dropped, as ini.v1)', code: 0, bytes: `; ${CANARY}\n`, expect: 'canonical' },
    { name: 'a [sops] section', code: 203, bytes: `[s]\na = ${CANARY}\n[sops]\nversion = 1\n` },
    { name: 'a line that is not key = value, holding the canary', code: 2, bytes: `[s]\n${CANARY}\n` },
    { name: 'an unclosed section header', code: 2, bytes: `[s\na = ${CANARY}\n` },
  ],
  toml: [
    { name: '10,000-level nesting', code: 2, bytes: `secret = "${CANARY}"\nk = ${deep('[', ']')}\n` },
    { name: '10,000-level inline tables', code: 2, bytes: `secret = "${CANARY}"\nk = ${deep('{a=', '}').replace('{a=}', '{a=1}')}\n` },
    { name: 'a BOM', code: 0, bytes: `${BOM}a = "${CANARY}"\n`, expect: 'exact' },
    { name: 'CRLF line endings', code: 0, bytes: `a = "${CANARY}"\r\nb = 2\r\n`, expect: 'exact' },
    { name: 'non-UTF-8 bytes', code: 2, bytes: nonUtf8(`a = "${CANARY}`, '"\n') },
    { name: 'duplicate keys', code: 2, bytes: `a = "${CANARY}"\na = 2\n` },
    { name: 'an empty file', code: 0, bytes: '', expect: 'exact' },
    { name: 'only a comment', code: 0, bytes: `# ${CANARY}\n`, expect: 'exact' },
    { name: 'a [sops] table', code: 203, bytes: `a = "${CANARY}"\n[sops]\nversion = "1"\n` },
    { name: 'an unterminated string holding the canary', code: 2, bytes: `a = "${CANARY}\n` },
  ],
  binary: [
    { name: 'an empty file', code: 0, bytes: '', expect: 'exact' },
    { name: 'every byte value', code: 0, bytes: Buffer.concat([Buffer.from(CANARY), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]), expect: 'exact' },
  ],
}

for (const f of FORMATS) {
  PLAIN[f].forEach((c, i) => {
    const name = `plain${i}.${EXT[f]}`
    rows.push({
      name: `${f}: encrypt -i: ${c.name} → ${c.code}`,
      format: f,
      files: () => ({ [name]: c.bytes }),
      args: ['encrypt', '-i', name],
      code: c.code,
      ...(c.code === 0 ? { writes: [name], ok: roundTrips(f, name, typeof c.bytes === 'string' ? Buffer.from(c.bytes) : c.bytes, c.expect ?? 'exact', c.extra) } : {}),
    })
  })
  rows.push({
    name: `${f}: encrypt of an already encrypted file → ${f === 'binary' ? '0 (binary wraps anything)' : 203}`,
    format: f,
    files: async () => ({ [fileOf(f)]: await enc(f) }),
    args: ['encrypt', fileOf(f)],
    code: f === 'binary' ? 0 : 203,
    ...(f === 'binary' ? { stdout: 'any' as const } : {}),
  })
}

// ---------------------------------------------------------------------------
// 5. The file system: symlinks, modes, devices, missing paths, big files
// ---------------------------------------------------------------------------

const PLAIN_JSON = `{\n\t"a": "${CANARY}"\n}\n`
rows.push(
  {
    name: 'fs: encrypt -i through a symlink writes the file it points to, the link stays',
    files: () => ({ 'real.json': PLAIN_JSON }),
    prepare: (dir) => symlinkSync('real.json', join(dir, 'link.json')),
    args: ['encrypt', '-i', 'link.json'], code: 0, writes: ['real.json'],
    ok: async (_r, dir, w) => {
      assert.ok(lstatSync(join(dir, 'link.json')).isSymbolicLink(), 'still a symlink')
      assert.is(readlinkSync(join(dir, 'link.json')), 'real.json')
      await roundTrips('json', 'real.json', Buffer.from(PLAIN_JSON), 'exact')(_r, dir, w)
    },
  },
  {
    name: 'fs: decrypt -o onto a symlink writes through it (mode 0600 kept from the target)',
    files: async () => ({ 'secret.json': await enc('json'), 'target.json': '{}' }),
    prepare: (dir) => { symlinkSync('target.json', join(dir, 'out.json')); chmodSync(join(dir, 'target.json'), 0o600) },
    args: ['decrypt', '-o', 'out.json', 'secret.json'], code: 0, writes: ['target.json'],
    ok: (_r, dir) => {
      assert.ok(lstatSync(join(dir, 'out.json')).isSymbolicLink())
      assert.ok(readFileSync(join(dir, 'target.json')).equals(SAMPLE.json))
      assert.is(statSync(join(dir, 'target.json')).mode & 0o777, 0o600)
    },
  },
  { name: 'fs: a dangling symlink as input → 100', files: () => ({}), prepare: (dir) => symlinkSync('nowhere.json', join(dir, 'dangling.json')), args: ['decrypt', 'dangling.json'], code: 100 },
  {
    name: 'fs: a symlink loop as input → 2', files: () => ({}),
    prepare: (dir) => { symlinkSync('b.json', join(dir, 'a.json')); symlinkSync('a.json', join(dir, 'b.json')) },
    args: ['decrypt', 'a.json'], code: 2,
  },
  { name: 'fs: a folder as input → 2', files: () => ({}), prepare: (dir) => mkdirSync(join(dir, 'folder.json')), args: ['encrypt', 'folder.json'], code: 2 },
  { name: 'fs: encrypt -i on a folder → 43 (not a regular file)', files: () => ({}), prepare: (dir) => mkdirSync(join(dir, 'folder.json')), args: ['encrypt', '-i', 'folder.json'], code: 43 },
  { name: 'fs: a missing input → 100', files: () => ({}), args: ['decrypt', 'missing.json'], code: 100 },
  { name: 'fs: -o into a missing folder → 3', files: async () => ({ 'secret.json': await enc('json') }), args: ['decrypt', '-o', 'no/such/dir/out.json', 'secret.json'], code: 3 },
  { name: 'fs: decrypt -o onto a folder → 3', files: async () => ({ 'secret.json': await enc('json') }), prepare: (dir) => mkdirSync(join(dir, 'out')), args: ['decrypt', '-o', 'out', 'secret.json'], code: 3 },
  // a full disk: /dev/full answers every write with ENOSPC (written into, never replaced)
  { name: 'fs: full disk: decrypt -o /dev/full → 3', files: async () => ({ 'secret.json': await enc('json') }), args: ['decrypt', '-o', '/dev/full', 'secret.json'], code: 3 },
  { name: 'fs: full disk: encrypt -o /dev/full → 3', files: () => ({ 'plain.json': PLAIN_JSON }), args: ['encrypt', '-o', '/dev/full', 'plain.json'], code: 3 },
  {
    name: 'fs: full disk: encrypt -i through a symlink to /dev/full → 43', files: () => ({}),
    prepare: (dir) => symlinkSync('/dev/full', join(dir, 'full.json')),
    args: ['encrypt', '-i', '--input-type', 'json', 'full.json'], code: 43, // a device is never rewritten in place: refused before reading (it reads as endless zero bytes)
  },
  {
    name: 'fs: encrypt -i on a read-only file → 3', asUser: true,
    files: () => ({ 'ro.json': PLAIN_JSON }),
    prepare: (dir) => chmodSync(join(dir, 'ro.json'), 0o444),
    args: ['encrypt', '-i', 'ro.json'], code: 3,
  },
  {
    name: 'fs: encrypt -i in a read-only folder → 3', asUser: true,
    files: () => ({ 'plain.json': PLAIN_JSON }),
    prepare: (dir) => { chmodSync(join(dir, 'plain.json'), 0o666); chmodSync(dir, 0o555) },
    args: ['encrypt', '-i', 'plain.json'], code: 3,
  },
  {
    name: 'fs: set in a read-only folder → 3', asUser: true,
    files: async () => ({ 'secret.json': await enc('json') }),
    prepare: (dir, w) => { chmodSync(join(dir, 'secret.json'), 0o666); chmodSync(w.key.file, 0o644); chmodSync(dir, 0o555) },
    args: ['set', 'secret.json', '["other"]', '"x"'], code: 3,
  },
  {
    name: 'fs: rotate in a read-only folder → 3', asUser: true, lines: 'each',
    files: async () => ({ 'secret.json': await enc('json') }),
    prepare: (dir, w) => { chmodSync(join(dir, 'secret.json'), 0o666); chmodSync(w.key.file, 0o644); chmodSync(dir, 0o555) },
    args: ['rotate', 'secret.json'], code: 3,
  },
  {
    name: 'fs: decrypt of an unreadable file → 2', asUser: true,
    files: async () => ({ 'secret.json': await enc('json') }),
    prepare: (dir) => chmodSync(join(dir, 'secret.json'), 0o000),
    args: ['decrypt', 'secret.json'], code: 2,
  },
)

// ---------------------------------------------------------------------------
// 6. Debug mode shows the stack (and still no secret)
// ---------------------------------------------------------------------------

rows.push({
  name: 'SOPS_LIKE_DEBUG=1 adds the stack trace, still without the canary',
  files: async () => ({ 'secret.json': await TAMPERS.find((t) => t.name === 'MAC changed')!.apply(await enc('json'), 'json') }),
  env: (w) => ({ ...w.env, SOPS_LIKE_DEBUG: '1' }),
  args: ['decrypt', 'secret.json'], code: -1,
})

// ---------------------------------------------------------------------------

let n = 0
for (const row of rows) {
  const slug = `c${String(n++).padStart(3, '0')}`
  const skip = row.skip
  if (skip) { test.skip(row.name, () => {}); continue }
  test(row.name, async () => {
    const dir = join(w.dir, 'cases', slug)
    mkdirSync(dir, { recursive: true })
    for (const [name, bytes] of Object.entries(await row.files(w))) writeFileSync(join(dir, name), bytes)
    row.prepare?.(dir, w)
    if (row.asUser) chmodSync(w.dir, 0o755)
    const env = row.env?.(w) ?? w.env
    const before = snapshot(dir)
    const tmpBefore = [snapshot(w.tmp), snapshot(w.xdg)]
    const args = typeof row.args === 'function' ? row.args(w) : row.args
    let r: CliResult
    try {
      r = row.asUser ? await runAsUser(args, { cwd: dir, env }) : await runCli(args, { cwd: dir, env })
    } finally {
      if (row.asUser) { chmodSync(w.dir, 0o700); chmodSync(dir, 0o755) }
    }
    const what = `${row.name} (${args.join(' ')})`
    const changed = changes(before, snapshot(dir)).filter((c) => !(row.writes ?? []).some((wr) => c === `changed ${wr}`))
    assert.equal(changed, [], `files changed: ${what}`)
    const privateBase = /^added sops-like(-\d+)?$/ // the per-user base of src/io/private-temp.ts stays (its contents do not)
    assert.equal([...changes(tmpBefore[0]!, snapshot(w.tmp)), ...changes(tmpBefore[1]!, snapshot(w.xdg))].filter((c) => !privateBase.test(c)), [], `temp files left: ${what}`)
    if (row.code === -1) {
      // debug mode: the one-line message, then the stack
      assert.ok(r.code === 51 && r.stderr.startsWith('sops-like: MAC mismatch'), r.stderr)
      assert.match(r.stderr, /\n\s+at /)
      assertNoCanary(r, what)
      return
    }
    if (row.code === 0) {
      assert.is(r.code, 0, `${what}\n${r.stderr}`)
      assert.not.ok(r.stderr.includes(CANARY), `canary on stderr: ${what}`)
      if (!row.secretOut) assert.not.ok(r.stdout.includes(CANARY), `canary on stdout: ${what}`)
      await row.ok?.(r, dir, w)
      return
    }
    assertCleanFailure(r, row.code, what, { ...(row.lines ? { lines: row.lines } : {}), ...(row.stdout ? { stdout: row.stdout } : {}) })
  })
}

// ---------------------------------------------------------------------------
// 7. A 50 MB file (generated on disk in chunks; compared by hash)
// ---------------------------------------------------------------------------

test('fs: a 50 MB binary file encrypts and decrypts (to files), byte for byte', async () => {
  const dir = join(w.dir, 'cases', 'big')
  mkdirSync(dir, { recursive: true })
  const big = join(dir, 'big.bin')
  const h = createHash('sha256')
  const fd = openSync(big, 'w')
  const chunk = Buffer.alloc(1 << 20)
  for (let i = 0; i < 50; i++) {
    for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j)
    if (i === 25) chunk.write(CANARY, 1000)
    writeSync(fd, chunk)
    h.update(chunk)
  }
  closeSync(fd)
  const want = h.digest('hex')
  const e = await runCli(['encrypt', '-o', 'big.enc', '--input-type', 'binary', 'big.bin'], { cwd: dir, env: w.env })
  assert.is(e.code, 0, e.stderr)
  assert.is(e.stdout, '')
  const d = await runCli(['decrypt', '-o', 'big.out', '--input-type', 'binary', 'big.enc'], { cwd: dir, env: w.env })
  assert.is(d.code, 0, d.stderr)
  assert.is(createHash('sha256').update(readFileSync(join(dir, 'big.out'))).digest('hex'), want)
  rmSync(dir, { recursive: true, force: true })
})

test('fs: a 50 MB JSON file either round-trips or fails with one clean line', async () => {
  const dir = join(w.dir, 'cases', 'bigjson')
  mkdirSync(dir, { recursive: true })
  const fd = openSync(join(dir, 'big.json'), 'w')
  writeSync(fd, `{\n\t"secret": "${CANARY}",\n`)
  const line = Buffer.from(`\t"k": "${'x'.repeat(1000)}",\n`)
  for (let i = 0; i < 50_000; i++) writeSync(fd, line.toString('utf8').replace('"k"', `"k${i}"`))
  writeSync(fd, '\t"end": true\n}\n')
  closeSync(fd)
  const e = await runCli(['encrypt', '-o', 'big.enc.json', 'big.json'], { cwd: dir, env: w.env })
  if (e.code !== 0) assertCleanFailure(e, e.code, 'encrypt 50 MB JSON')
  else {
    const d = await runCli(['decrypt', '-o', 'big.out.json', 'big.enc.json'], { cwd: dir, env: w.env })
    assert.is(d.code, 0, d.stderr)
    const a = createHash('sha256').update(readFileSync(join(dir, 'big.json'))).digest('hex')
    const b = createHash('sha256').update(readFileSync(join(dir, 'big.out.json'))).digest('hex')
    assert.is(b, a)
  }
  rmSync(dir, { recursive: true, force: true })
})

test('the table has at least 60 hostile inputs', () => {
  assert.ok(rows.length >= 60, String(rows.length))
  assert.ok(UNPRIVILEGED === undefined || UNPRIVILEGED === 65534)
  assert.ok(encValues('').length === 0)
})

test.after(() => w.cleanup())
test.run()
