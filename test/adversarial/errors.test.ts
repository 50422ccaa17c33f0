/**
 * Secret hygiene of thrown errors, through the library: every failure below has the
 * canary planted in its input (a value, a comment, the bytes next to a syntax error, a
 * malformed key) and must throw a SopsLikeError with a numeric exitCode — the
 * documented one — whose message, stack, hint, other own fields and `cause` chain
 * (recursively, as `util.inspect` shows it) never contain the canary.
 *
 * Also: `run` never puts a value into an argv (the child's, or sops-like's own command
 * line as /proc shows it) nor into `process.title` or the parent's `process.env`.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { loadFormat, type FormatName } from '../../src/formats/index.js'
import { scalar, type Node, type Tree } from '../../src/core/tree.js'
import { SopsLikeError } from '../../src/errors.js'
import { createAgeIdentity, createAgeRecipient } from '../../src/keys/age.js'
import type { Identity } from '../../src/keys/key-source.js'
import { decryptBytes, openBytes } from '../../src/ops/crypt/decrypt.js'
import { encryptBytes } from '../../src/ops/crypt/encrypt.js'
import { runWithEnv } from '../../src/ops/run/run.js'
import { parseSetValue, setValue, unsetValue } from '../../src/ops/edit/set.js'
import { CANARY, EXT, FORMATS, PATHS, SAMPLE, encryptWith, flipB64, macValue, makeWorld, replaceHit, secretHit, withMetadata, type World } from './harness.js'
import { startCli } from './spawn.js'

// ---------------------------------------------------------------------------
// the checks

/** Every text an error exposes: message, stack, String(), own fields, and the same for its causes (cycles cut). */
function texts(err: unknown, seen = new Set<unknown>()): string[] {
  if (err === null || err === undefined || seen.has(err)) return []
  seen.add(err)
  if (typeof err !== 'object') return [String(err)]
  const e = err as Error & { cause?: unknown; errors?: unknown[] }
  const out = [String(e), String(e.message), String(e.stack)]
  for (const k of Object.getOwnPropertyNames(e)) {
    const v = (e as unknown as Record<string, unknown>)[k]
    if (typeof v === 'string') out.push(v)
    else if (v && typeof v === 'object' && k !== 'cause' && k !== 'errors') out.push(inspect(v, { depth: 4 }))
  }
  if ('cause' in e) out.push(String(e.cause), ...texts(e.cause, seen))
  if (Array.isArray(e.errors)) for (const x of e.errors) out.push(...texts(x, seen))
  out.push(inspect(err, { depth: 6 }))
  return out
}

function assertClean(err: unknown, code: number, what: string, secrets: readonly string[]): void {
  assert.ok(err instanceof SopsLikeError, `${what}: not a SopsLikeError: ${inspect(err)}`)
  const e = err as SopsLikeError
  assert.type(e.exitCode, 'number', `${what}: exitCode`)
  assert.is(e.exitCode, code, `${what}: exit code (${e.name}: ${e.message})`)
  assert.not.ok(/\n/.test(e.message), `${what}: a one-line message`)
  for (const s of secrets) {
    for (const t of texts(err)) assert.not.ok(t.includes(s), `${what}: ${JSON.stringify(s)} in the error (${e.name}: ${e.message})`)
  }
}

/** Runs `f`, which must fail with `code`, cleanly. */
async function fails(what: string, code: number, f: () => unknown, secrets: readonly string[] = [CANARY]): Promise<void> {
  let err: unknown
  let threw = false
  try {
    await f()
  } catch (e) {
    err = e
    threw = true
  }
  assert.ok(threw, `${what}: did not fail`)
  assertClean(err, code, what, secrets)
}

test('the checker itself finds the canary in a message, a hint, a field, and a nested cause', async () => {
  const leaky: Array<() => never> = [
    () => { throw new SopsLikeError(`bad ${CANARY}`) },
    () => { throw new SopsLikeError('bad', { hint: CANARY }) },
    () => { throw Object.assign(new SopsLikeError('bad'), { detail: { line: CANARY } }) },
    () => { throw Object.assign(new SopsLikeError('bad'), { cause: Object.assign(new Error('inner'), { cause: new Error(CANARY) }) }) },
    () => { throw new Error('not a SopsLikeError') },
  ]
  for (const [i, f] of leaky.entries()) {
    let caught = false
    try {
      await fails(`leaky ${i}`, 1, f)
    } catch (e) {
      caught = e instanceof assert.Assertion
    }
    assert.ok(caught, `leaky case ${i} was not caught`)
  }
})

// ---------------------------------------------------------------------------
// fixtures

let w: World
let me: Identity
let stranger: Identity
const enc = new Map<FormatName, string>()
test.before(async () => {
  w = await makeWorld('sops-like-errors-')
  me = createAgeIdentity([w.key.identity], 'test key')
  stranger = createAgeIdentity([w.stranger.identity], 'stranger key')
  for (const f of FORMATS) enc.set(f, (await encryptWith(f, SAMPLE[f], w.key.recipient)).toString('utf8'))
})
test.after(() => w?.cleanup())

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8')
const dec = (f: FormatName, input: string | Buffer, ids: Identity[] = [me], more: { extract?: string } = {}) =>
  () => decryptBytes(typeof input === 'string' ? bytes(input) : input, { inputFormat: f, identities: ids, ...more })
const formats = (): FormatName[] => [...FORMATS]

/**
 * Malformed text per format with the canary right at (or just before) the error, as a
 * plaintext file and as the encrypted form. The encrypted form of binary is JSON.
 */
const MALFORMED: Record<FormatName, string[]> = {
  yaml: [
    `a: "${CANARY}\n`, `a: [${CANARY}\nb: 1\n`, `a:\n\t${CANARY}: 1\n`, `${CANARY}: 1\n${CANARY}: 2\n`, `a: 1\n  ${CANARY}\n b: {\n`,
    `a: *${CANARY}\n`, `a: '${CANARY}\n`, `a: b: ${CANARY}\n`, `%TAG ${CANARY}\n---\na: 1\n`, `a: "\\q${CANARY}"\n`, `a: @${CANARY}\n`, `${CANARY}\n- x\n`,
  ],
  json: [
    `{"a": "${CANARY}`, `{"a": ${CANARY}}`, `["${CANARY}"]`,
    `{"a": "\\q${CANARY}"}`, `{"a": 1${CANARY}}`, `{"a": "${CANARY}\u0001"}`, `{"a": -${CANARY}}`, `{"a": "\\u${CANARY}"}`,
  ],
  dotenv: [`A=1\n${CANARY}\n`],
  ini: [`[${CANARY}\nk = v\n`, `[s]\nk = """${CANARY}\n`, `[s]\n${CANARY}\n`, `k = \`${CANARY}\n`],
  toml: [
    `a = "${CANARY}\n`, `${CANARY}\n`, `a = 1\na = "${CANARY}"\n`, `a = [1, ${CANARY}]\n`, `[t]\nb = 1\n[t]\nc = "${CANARY}"\n`,
    `a = ${CANARY}\n`, `a = 1979-13-01${CANARY}\n`, `a = "\\${CANARY}"\n`, `a = 0x${CANARY}\n`, `a = """${CANARY}\n`, `a = "x" ${CANARY}\n`, `a = 1_${CANARY}\n`,
  ],
  binary: [],
}
const MALFORMED_ENVELOPE = [`{"data": "${CANARY}`, `{"data": ${CANARY}}`, `{"data": "x", "sops": {"mac": "${CANARY}"`]

// ---------------------------------------------------------------------------
// decrypt

test('decrypt, every format: wrong key (128), no key (128), tampered value (25), value not ENC (25), malformed ENC (25)', async () => {
  for (const f of formats()) {
    const e = enc.get(f)!
    await fails(`${f}: wrong key`, 128, dec(f, e, [stranger]))
    await fails(`${f}: no identity`, 128, dec(f, e, []))
    const hit = secretHit(f, e)
    await fails(`${f}: tampered secret value`, 25, dec(f, replaceHit(e, hit, hit.text.replace(`data:${hit.data}`, `data:${flipB64(hit.data)}`))))
    await fails(`${f}: secret value in clear where an ENC is expected`, 25, dec(f, replaceHit(e, hit, CANARY)))
    await fails(`${f}: malformed ENC holding the canary`, 25, dec(f, replaceHit(e, hit, hit.text.replace(`data:${hit.data}`, `data:${CANARY}`))))
    await fails(`${f}: unknown ENC type`, 25, dec(f, replaceHit(e, hit, hit.text.replace(/type:[a-z]+\]$/, `type:${CANARY.toLowerCase().replace(/[^a-z]/g, '')}]`))))
  }
})

test('decrypt, every format: MAC tampered, removed, or a clear value changed (51); lastmodified or metadata malformed (11)', async () => {
  for (const f of formats()) {
    const e = enc.get(f)!
    const mac = macValue(e)
    await fails(`${f}: MAC data flipped`, 51, dec(f, replaceHit(e, mac, mac.text.replace(`data:${mac.data}`, `data:${flipB64(mac.data)}`))))
    await fails(`${f}: MAC replaced by the canary`, 51, dec(f, replaceHit(e, mac, CANARY)))
    await fails(`${f}: MAC removed`, 51, dec(f, await withMetadata(f, bytes(e), (md) => { md.mac = '' })))
    if (f !== 'binary') await fails(`${f}: clear value changed`, 51, dec(f, e.replace('visible', `${CANARY}`)))
    await fails(`${f}: lastmodified is the canary`, 11, dec(f, await withMetadata(f, bytes(e), (md) => { md.lastmodified = CANARY })))
    await fails(`${f}: the plaintext (no metadata)`, 11, dec(f, f === 'binary' ? `{"data": "${CANARY}"}` : SAMPLE[f]))
  }
})

test('decrypt, every format: malformed file with the canary next to the error (2, as sops); --extract of a missing path (1, as sops)', async () => {
  for (const f of formats()) {
    for (const m of f === 'binary' ? MALFORMED_ENVELOPE : MALFORMED[f]) await fails(`${f}: decrypt ${JSON.stringify(m)}`, 2, dec(f, m))
    const e = enc.get(f)!
    if (f !== 'binary') await fails(`${f}: extract a missing path`, 1, dec(f, e, [me], { extract: `${PATHS[f].secret}["nope"]` }))
  }
  // a file cut in the middle of the secret's ENC value: damaged (44), not merely malformed
  const j = enc.get('json')!
  await fails('json: truncated', 44, dec('json', j.slice(0, j.indexOf('ENC[', j.indexOf('password')) + 30)))
})

// ---------------------------------------------------------------------------
// encrypt, formats

test('format parsers and encrypt, every format: malformed plaintext with the canary (2, as sops)', async () => {
  for (const f of formats()) {
    const fmt = await loadFormat(f)
    for (const m of MALFORMED[f]) {
      await fails(`${f}: parse ${JSON.stringify(m)}`, 2, () => fmt.parse(bytes(m)))
      await fails(`${f}: encrypt ${JSON.stringify(m)}`, 2, () => encryptBytes(bytes(m), { inputFormat: f, groups: [[createAgeRecipient(w.key.recipient)]] }))
    }
  }
  const toml = await loadFormat('toml')
  await fails('toml: invalid UTF-8 next to the canary', 2, () => toml.parse(Buffer.concat([bytes(`a = "${CANARY}`), Buffer.from([0xff]), bytes('"\n')])))
  const yaml = await loadFormat('yaml')
  await fails('yaml: invalid UTF-8 next to the canary', 2, () => yaml.parse(Buffer.concat([bytes(`a: ${CANARY}`), Buffer.from([0xc3, 0x28]), bytes('\n')])))
})

test('JSON duplicate keys or trailing data (read as sops does): encrypt refuses (2), never naming the key or the data', async () => {
  const json = await loadFormat('json')
  for (const m of [`{"${CANARY}": 1, "${CANARY}": 2}`, `{"a": "x"} ${CANARY}`]) {
    assert.is(json.parse(bytes(m)).notes?.length, 1)
    await fails(`json: encrypt ${JSON.stringify(m)}`, 2, () => encryptBytes(bytes(m), { inputFormat: 'json', groups: [[createAgeRecipient(w.key.recipient)]] }))
  }
})

test('encrypt, every format: bad recipients (30), no recipients (30), already encrypted (203), empty YAML (92)', async () => {
  const badRecipients = ['age1notavalidrecipient', `age1${'q'.repeat(58)}`, 'ssh-ed25519 AAAAnotbase64!!', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x', 'ecdsa-sha2-nistp256 AAAA x']
  for (const f of formats()) {
    const plain = SAMPLE[f]
    for (const r of badRecipients) {
      await fails(`${f}: recipient ${r}`, 30, () => encryptBytes(plain, { inputFormat: f, groups: [[createAgeRecipient(r)]] }))
    }
    await fails(`${f}: no recipients`, 30, () => encryptBytes(plain, { inputFormat: f, groups: [] }))
    await fails(`${f}: an empty key group`, 30, () => encryptBytes(plain, { inputFormat: f, groups: [[createAgeRecipient(w.key.recipient)], []] }))
    if (f !== 'binary') await fails(`${f}: already encrypted`, 203, () => encryptBytes(bytes(enc.get(f)!), { inputFormat: f, groups: [[createAgeRecipient(w.key.recipient)]] }))
  }
  await fails('yaml: only a comment holding the canary (2, as sops)', 2, () => encryptBytes(bytes(`# ${CANARY}\n`), { inputFormat: 'yaml', groups: [[createAgeRecipient(w.key.recipient)]] }))
})

test('emit: values a format cannot hold name the key, never the value (4)', async () => {
  const recipient = createAgeRecipient(w.key.recipient)
  await fails('json → dotenv: nested value', 4, () => encryptBytes(bytes(`{"db": {"password": "${CANARY}"}}`), { inputFormat: 'json', outputFormat: 'dotenv', groups: [[recipient]] }))
  await fails('json → ini: list value', 4, () => encryptBytes(bytes(`{"s": {"k": ["${CANARY}"]}, "t": 1}`), { inputFormat: 'json', outputFormat: 'ini', groups: [[recipient]] }))
  const dotenv = await loadFormat('dotenv')
  const kv = (key: string, value: Node): Tree => ({ branches: [{ kind: 'map', entries: [{ kind: 'pair', key, value }] }] })
  await fails('dotenv: multi-line comment', 4, () => dotenv.emit({ branches: [{ kind: 'map', entries: [{ kind: 'comment', text: `a\n${CANARY}`, inline: false }] }] }))
  await fails('dotenv: key that would not read back', 4, () => dotenv.emit(kv('A=B', scalar('str', CANARY))))
  await fails('dotenv: nested value', 4, () => dotenv.emit(kv('A', { kind: 'map', entries: [{ kind: 'pair', key: 'x', value: scalar('str', CANARY) }] })))
  const json = await loadFormat('json')
  await fails('json: NaN', 4, () => json.emit(kv(CANARY.slice(0, 0) + 'a', scalar('float', 'NaN'))))
  await fails('json: decrypt --output-type json of a NaN', 4, async () => {
    const e = await encryptBytes(bytes(`x: .nan\ny: ${CANARY}\n`), { inputFormat: 'yaml', groups: [[recipient]] })
    return decryptBytes(e, { inputFormat: 'yaml', outputFormat: 'json', identities: [me] })
  })
})

// ---------------------------------------------------------------------------
// keys

test('identities: a malformed secret key (SOPS_AGE_KEY, a key file) or a failing SOPS_AGE_KEY_CMD is never quoted', async () => {
  const e = bytes(enc.get('json')!)
  const planted = `AGE-SECRET-KEY-1${CANARY.toUpperCase().replace(/[^A-Z0-9]/g, 'Q')}QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ`
  const near = w.key.identity.slice(0, -6) + 'QQQQQQ' // right length, wrong checksum: a typo in a real key
  const home = { HOME: join(w.dir, 'nohome'), XDG_CONFIG_HOME: join(w.dir, 'nohome', '.config'), PATH: process.env.PATH ?? '' }
  const secrets = [CANARY, planted, near, w.key.identity]
  await fails('SOPS_AGE_KEY malformed', 2, () => decryptBytes(e, { inputFormat: 'json', env: { ...home, SOPS_AGE_KEY: planted } }), secrets)
  await fails('SOPS_AGE_KEY with a bad checksum', 2, () => decryptBytes(e, { inputFormat: 'json', env: { ...home, SOPS_AGE_KEY: near } }), secrets)
  const file = join(w.dir, 'bad-keys.txt')
  writeFileSync(file, `# ${CANARY}\n${planted}\n`, { mode: 0o600 })
  await fails('SOPS_AGE_KEY_FILE with a malformed key', 2, () => decryptBytes(e, { inputFormat: 'json', env: { ...home, SOPS_AGE_KEY_FILE: file } }), secrets)
  await fails('SOPS_AGE_KEY_CMD printing a key and failing', 2, () => decryptBytes(e, { inputFormat: 'json', env: { ...home, SOPS_AGE_KEY_CMD: `sh -c 'echo ${w.key.identity}; echo ${CANARY} >&2; exit 3'` } }), secrets)
  await fails('SOPS_AGE_KEY_FILE missing', 2, () => decryptBytes(e, { inputFormat: 'json', env: { ...home, SOPS_AGE_KEY_FILE: join(w.dir, 'missing.txt') } }), secrets)
})

// ---------------------------------------------------------------------------
// set / unset

test('set/unset (sops codes): bad value JSON (7), bad set path (7), missing unset path (1), too deep for the format (4), binary (7/91), a sops key (203), tampered file (25/51)', async () => {
  const dir = join(w.dir, 'set')
  mkdirSync(dir, { recursive: true })
  const opts = { cwd: dir, env: w.env }
  for (const v of [`"${CANARY}`, CANARY, `{"a": "${CANARY}"} x`, `["${CANARY}",]`, `{"${CANARY}": 1, "${CANARY}": 2}`]) {
    await fails(`parseSetValue ${JSON.stringify(v)}`, 7, () => parseSetValue(v))
  }
  const value = scalar('str', CANARY)
  for (const f of formats()) {
    const file = join(dir, `s.${EXT[f]}`)
    writeFileSync(file, enc.get(f)!)
    if (f === 'binary') {
      await fails('binary: set a path other than ["data"]', 7, () => setValue(file, '["data"]["x"]', value, opts))
      await fails('binary: unset ["data"]', 91, () => unsetValue(file, '["data"]', opts))
      await fails('binary: set ["data"] to a map', 7, () => setValue(file, '["data"]', { kind: 'map', entries: [{ kind: 'pair', key: 'k', value }] }, opts))
      continue
    }
    if (f === 'dotenv' || f === 'ini') {
      // the scalar on the way is replaced by a map (sops semantics), which these formats cannot write
      await fails(`${f}: set a value nested too deep for the format`, 4, () => setValue(file, `${PATHS[f].secret}["deeper"]`, value, opts))
    } else await fails(`${f}: set a key inside a list`, 7, () => setValue(file, f === 'toml' ? '["db"]["list"]["key"]' : '["list"]["key"]', value, opts))
    await fails(`${f}: set with a malformed path`, 7, () => setValue(file, '["db"', value, opts))
    await fails(`${f}: set with an empty path`, 7, () => setValue(file, '', value, opts))
    await fails(`${f}: unset a missing key`, 1, () => unsetValue(file, '["nope"]["nope"]', opts))
    await fails(`${f}: set a top-level sops key`, 203, () => setValue(file, f === 'dotenv' ? '["sops_x"]' : '["sops"]', value, opts))
    const e = enc.get(f)!
    const hit = secretHit(f, e)
    writeFileSync(file, replaceHit(e, hit, hit.text.replace(`data:${hit.data}`, `data:${flipB64(hit.data)}`)))
    await fails(`${f}: set on a tampered file`, 25, () => setValue(file, PATHS[f].other, value, opts))
    writeFileSync(file, e.replace('visible', 'changed'))
    await fails(`${f}: set on a file whose MAC does not match`, 51, () => setValue(file, PATHS[f].other, value, opts))
    assert.not.ok(readFileSync(file, 'utf8').includes(CANARY), `${f}: the canary was written in clear`)
  }
})

// ---------------------------------------------------------------------------
// run: names, argv, process.title

test('run: a key that cannot be a variable or two keys for one name (13) name the keys, never a value', async () => {
  const dir = join(w.dir, 'run-names')
  mkdirSync(dir, { recursive: true })
  const put = async (name: string, f: FormatName, plain: string) => writeFileSync(join(dir, name), await encryptWith(f, bytes(plain), w.key.recipient))
  await put('bad.json', 'json', `{"my-key": "${CANARY}"}`)
  await put('clash.json', 'json', `{"db_password": "${CANARY}", "db": {"password": "${CANARY}-2"}}`)
  await put('nested.yaml', 'yaml', `a:\n    "b c": ${CANARY}\n`)
  for (const file of ['bad.json', 'clash.json', 'nested.yaml']) {
    await fails(`run -f ${file}`, 13, () => runWithEnv(['true'], { files: [file], cwd: dir, env: w.env, stdio: 'ignore' }))
  }
})

/**
 * A child that records its argv, its own and its parent's command lines (/proc) and what it
 * received: the variable, or (--as-file) the file at argv[1]. The canary is never in this
 * script (that would put it into the argv under test); the test compares `got` itself.
 */
const reporter = (out: string, from: 'env' | 'file'): string[] => [process.execPath, '-e', `
  const fs = require('fs')
  const read = (p) => { try { return fs.readFileSync(p, 'latin1') } catch { return '' } }
  const got = ${from === 'env' ? 'process.env.SECRET_VALUE' : "fs.readFileSync(process.argv[1], 'utf8')"}
  setTimeout(() => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({
    argv: process.argv, execArgv: process.execArgv, title: process.title,
    self: read('/proc/self/cmdline'), parent: read('/proc/' + process.ppid + '/cmdline'), got,
  })), 300)`, ...(from === 'file' ? ['{}'] : [])]

interface Report { argv: string[]; execArgv: string[]; title: string; self: string; parent: string; got: string }

function assertNoValueInCommandLines(rep: Report, what: string): void {
  assert.ok(rep.got?.includes(CANARY), `${what}: the child did not get the value (the test would prove nothing)`)
  for (const [k, v] of Object.entries({ argv: rep.argv.join(' '), execArgv: rep.execArgv.join(' '), title: rep.title, self: rep.self, parent: rep.parent })) {
    assert.not.ok(v.includes(CANARY), `${what}: the value is in the ${k}`)
  }
}

test('run (in-process): the value reaches the child\'s environment only — not its argv, not process.title, not process.env', async () => {
  const dir = join(w.dir, 'run-argv')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'secrets.enc.env'), await encryptWith('dotenv', bytes(`SECRET_VALUE=${CANARY}\n`), w.key.recipient))
  const out = join(dir, 'report.json')
  const titles = new Set<string>([process.title])
  const poll = setInterval(() => titles.add(process.title), 5)
  let code: number
  try {
    code = await runWithEnv(reporter(out, 'env'), { files: ['secrets.enc.env'], cwd: dir, env: w.env, stdio: 'ignore' })
  } finally {
    clearInterval(poll)
  }
  titles.add(process.title)
  assert.is(code, 0)
  for (const t of titles) assert.not.ok(t.includes(CANARY), 'the value is in process.title')
  assert.not.ok(Object.values(process.env).some((v) => v?.includes(CANARY)), 'the value leaked into the parent\'s process.env')
  assertNoValueInCommandLines(JSON.parse(readFileSync(out, 'utf8')) as Report, 'run')
})

test('run (real process, with and without --as-file): no value in the child\'s argv or in sops-like\'s own command line', async () => {
  const dir = join(w.dir, 'run-real')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'secrets.enc.env'), await encryptWith('dotenv', bytes(`SECRET_VALUE=${CANARY}\n`), w.key.recipient))
  const out = join(dir, 'report.json')
  const p = await startCli(['run', '-f', 'secrets.enc.env', '--', ...reporter(out, 'env')], { cwd: dir, env: w.env })
  const r = await p.done
  assert.is(r.code, 0, r.stderr)
  assert.not.ok(r.stdout.includes(CANARY) || r.stderr.includes(CANARY))
  assertNoValueInCommandLines(JSON.parse(readFileSync(out, 'utf8')) as Report, 'run -f')

  // --as-file: the child gets a path in place of {}, and reads the plaintext from it
  const out2 = join(dir, 'report2.json')
  const q = await startCli(['run', '--as-file', 'secrets.enc.env', '--', ...reporter(out2, 'file')], { cwd: dir, env: w.env })
  const r2 = await q.done
  assert.is(r2.code, 0, r2.stderr)
  assertNoValueInCommandLines(JSON.parse(readFileSync(out2, 'utf8')) as Report, 'run --as-file')
})

test('decrypt and open leave no value in process.title', async () => {
  const before = process.title
  for (const f of formats()) {
    await openBytes(bytes(enc.get(f)!), { inputFormat: f, identities: [me] })
    assert.not.ok(process.title.includes(CANARY), f)
  }
  assert.is(process.title, before)
})

test.run()
