/** End to end: encrypt / decrypt / keygen through the CLI, bad input, exit codes, no leaks. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync, existsSync, statSync, chmodSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

const PLAIN = `# top comment
db:
    user: admin
    password: ${CANARY}
    port: 5432
enabled: true
ratio: 1.5
hosts:
    - a.example.com
    - b.example.com
note_unencrypted: visible
`

let t: ReturnType<typeof tempDir>
let k: TestKey
let other: TestKey
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'a')
  other = await makeAgeKey(t.dir, 'b')
  writeFileSync(join(t.dir, 'secrets.yaml'), PLAIN)
})
test.after(() => t.cleanup())

const env = (key?: TestKey) => isolatedEnv(key ? { SOPS_AGE_KEY_FILE: key.file } : {})

async function encrypted(): Promise<string> {
  const r = await runCli(['encrypt', '--age', k.recipient, 'secrets.yaml'], { cwd: t.dir, env: env() })
  assert.is(r.code, 0, r.stderr)
  return r.stdout
}

function assertNoLeak(r: { stdout: string; stderr: string }): void {
  assert.not.ok(r.stdout.includes(CANARY), 'canary in stdout')
  assert.not.ok(r.stderr.includes(CANARY), 'canary in stderr')
}

function assertOneLineError(r: { stderr: string; code: number }, code: number): void {
  assert.is(r.code, code, r.stderr)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^sops-like: /)
  assert.not.match(r.stderr, /\n\s+at /)
}

test('encrypt → decrypt round-trips and the ciphertext hides values', async () => {
  const enc = await encrypted()
  assert.not.ok(enc.includes(CANARY))
  assert.ok(enc.includes('note_unencrypted: visible'))
  assert.match(enc, /password: ENC\[AES256_GCM,data:[^,]+,iv:[A-Za-z0-9+/]{43}=,tag:[^,]+,type:str\]/)
  assert.match(enc, /port: ENC\[.*type:int\]/)
  assert.match(enc, /#ENC\[AES256_GCM,.*type:comment\]/)
  assert.match(enc, /\nsops:\n    age:\n        - enc: \|\n            -----BEGIN AGE ENCRYPTED FILE-----/)
  writeFileSync(join(t.dir, 'secrets.enc.yaml'), enc)
  const r = await runCli(['decrypt', 'secrets.enc.yaml'], { cwd: t.dir, env: env(k) })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, PLAIN)
})

test('--extract prints one value', async () => {
  writeFileSync(join(t.dir, 'x.enc.yaml'), await encrypted())
  const r = await runCli(['decrypt', '--extract', '["db"]["user"]', 'x.enc.yaml'], { cwd: t.dir, env: env(k) })
  assert.is(r.stdout, 'admin')
  const bad = await runCli(['decrypt', '--extract', '["nope"]', 'x.enc.yaml'], { cwd: t.dir, env: env(k) })
  assertOneLineError(bad, 1) // sops: key not found is its generic error; a malformed path is 91
  assertOneLineError(await runCli(['decrypt', '--extract', 'db.user', 'x.enc.yaml'], { cwd: t.dir, env: env(k) }), 91)
})

test('-i encrypts in place keeping the mode; already encrypted → 203 and unchanged', async () => {
  const f = join(t.dir, 'inplace.yaml')
  writeFileSync(f, PLAIN)
  chmodSync(f, 0o640)
  const r = await runCli(['encrypt', '-i', '--age', k.recipient, 'inplace.yaml'], { cwd: t.dir, env: env() })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '')
  assert.is(statSync(f).mode & 0o777, 0o640)
  const before = readFileSync(f)
  const again = await runCli(['encrypt', '-i', '--age', k.recipient, 'inplace.yaml'], { cwd: t.dir, env: env() })
  assertOneLineError(again, 203)
  assert.ok(readFileSync(f).equals(before))
  assert.equal(readdirSync(t.dir).filter((n) => n.endsWith('.tmp')), [])
})

test('wrong key → 128, no key at all → 128, one line each', async () => {
  writeFileSync(join(t.dir, 'w.enc.yaml'), await encrypted())
  const r = await runCli(['decrypt', 'w.enc.yaml'], { cwd: t.dir, env: env(other) })
  assertOneLineError(r, 128)
  assertNoLeak(r)
  const none = await runCli(['decrypt', 'w.enc.yaml'], { cwd: t.dir, env: env() })
  assertOneLineError(none, 128)
})

const tampers: Record<string, (s: string) => string> = {
  'value moved to another key (AAD)': (s) => {
    const pw = /password: (ENC\[[^\]]+\])/.exec(s)![1]!
    const user = /user: (ENC\[[^\]]+\])/.exec(s)![1]!
    return s.replace(`user: ${user}`, `user: ${pw}`)
  },
  'changed clear value': (s) => s.replace('note_unencrypted: visible', 'note_unencrypted: changed'),
  'MAC removed': (s) => s.replace(/\n    mac: [^\n]+/, ''),
  'MAC changed': (s) => s.replace(/mac: ENC\[AES256_GCM,data:(.)/, (_m, c) => `mac: ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`),
  'lastmodified changed': (s) => s.replace(/lastmodified: "(\d{4})/, 'lastmodified: "1999'),
  'malformed ENC': (s) => s.replace(/password: ENC\[AES256_GCM,data:/, 'password: ENC[AES256_GCM,dta:'),
  'bad base64': (s) => s.replace(/(password: ENC\[AES256_GCM,data:)./, '$1!'),
  'no sops block': (s) => s.slice(0, s.indexOf('\nsops:') + 1),
  'malformed YAML': (s) => s.replace('db:\n', `db: [${CANARY}\n`),
}
const expected: Record<string, number> = {
  'value moved to another key (AAD)': 25, 'changed clear value': 51, 'MAC removed': 51, 'MAC changed': 51,
  'lastmodified changed': 51, 'malformed ENC': 25, 'bad base64': 25,
  // encrypted values without their metadata, or that no longer parse: a damaged file (44), not plaintext (11) or any input (10)
  'no sops block': 44, 'malformed YAML': 44,
}
for (const [name, mutate] of Object.entries(tampers)) {
  test(`tampered: ${name} → exit ${expected[name]}, file unchanged, nothing leaked`, async () => {
    const f = join(t.dir, 'tampered.enc.yaml')
    writeFileSync(f, mutate(await encrypted()))
    const before = readFileSync(f)
    const r = await runCli(['decrypt', 'tampered.enc.yaml'], { cwd: t.dir, env: env(k) })
    assertOneLineError(r, expected[name]!)
    assertNoLeak(r)
    assert.is(r.stdout, '')
    assert.ok(readFileSync(f).equals(before))
  })
}

test('--ignore-mac decrypts a file whose clear value changed', async () => {
  writeFileSync(join(t.dir, 'im.enc.yaml'), tampers['changed clear value']!(await encrypted()))
  const r = await runCli(['decrypt', '--ignore-mac', 'im.enc.yaml'], { cwd: t.dir, env: env(k) })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /note_unencrypted: changed/)
})

test('missing file → 100; no recipients → 111; unknown flag → 1', async () => {
  assertOneLineError(await runCli(['decrypt', 'nope.yaml'], { cwd: t.dir, env: env(k) }), 100)
  assertOneLineError(await runCli(['encrypt', 'secrets.yaml'], { cwd: t.dir, env: env() }), 111)
  const u = await runCli(['encrypt', '--bogus', 'secrets.yaml'], { cwd: t.dir, env: env() })
  assert.is(u.code, 1)
})

test('-i with -o conflicts (exit 8)', async () => {
  assertOneLineError(await runCli(['encrypt', '-i', '-o', 'x', '--age', k.recipient, 'secrets.yaml'], { cwd: t.dir, env: env() }), 8)
})

test('creation rules pick recipients; malformed config names the rule', async () => {
  const d = tempDir()
  try {
    writeFileSync(join(d.dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.prod\\.yaml$\n    age: ${other.recipient}\n  - age: ${k.recipient}\n`)
    writeFileSync(join(d.dir, 'a.yaml'), 'x: 1\n')
    writeFileSync(join(d.dir, 'a.prod.yaml'), 'x: 1\n')
    const dev = await runCli(['encrypt', 'a.yaml'], { cwd: d.dir, env: env() })
    assert.ok(dev.stdout.includes(k.recipient))
    const prod = await runCli(['encrypt', 'a.prod.yaml'], { cwd: d.dir, env: env() })
    assert.ok(prod.stdout.includes(other.recipient))
    assert.not.ok(prod.stdout.includes(k.recipient))
    writeFileSync(join(d.dir, '.sops-like.yaml'), `creation_rules:\n  - age: ${k.recipient}\n  - agee: x\n`)
    const bad = await runCli(['encrypt', 'a.yaml'], { cwd: d.dir, env: env() })
    assertOneLineError(bad, 5)
    assert.match(bad.stderr, /creation_rules\[1\]/)
  } finally {
    d.cleanup()
  }
})

test('keygen appends a new identity and never overwrites', async () => {
  const f = join(t.dir, 'kg.txt')
  const a = await runCli(['keygen', '-o', f], { cwd: t.dir, env: env() })
  assert.is(a.code, 0)
  assert.match(a.stdout, /^age1[a-z0-9]{58}\n$/)
  assert.not.match(a.stdout + a.stderr, /AGE-SECRET-KEY/)
  await runCli(['keygen', '-o', f], { cwd: t.dir, env: env() })
  assert.is((readFileSync(f, 'utf8').match(/AGE-SECRET-KEY-1/g) ?? []).length, 2)
  assert.is(statSync(f).mode & 0o777, 0o600)
})

test('decrypt -o writes plaintext with mode 0600', async () => {
  writeFileSync(join(t.dir, 'o.enc.yaml'), await encrypted())
  const r = await runCli(['decrypt', '-o', 'o.yaml', 'o.enc.yaml'], { cwd: t.dir, env: env(k) })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '')
  assert.is(readFileSync(join(t.dir, 'o.yaml'), 'utf8'), PLAIN)
  assert.is(statSync(join(t.dir, 'o.yaml')).mode & 0o777, 0o600)
  assert.ok(existsSync(join(t.dir, 'o.enc.yaml')))
})

test('--version and --help', async () => {
  const v = await runCli(['--version'])
  assert.is(v.code, 0)
  assert.match(v.stdout, /^\d+\.\d+\.\d+/)
  const h = await runCli(['encrypt', '--help'])
  assert.is(h.code, 0)
  assert.match(h.stdout, /Examples:/)
})

test('every command and git subcommand has examples in its --help', async () => {
  const names = (help: string): string[] => help.split('Commands:')[1]!.split('\n').map((l) => /^  ([a-z-]+)/.exec(l)?.[1]).filter((n): n is string => !!n && n !== 'help')
  const top = names((await runCli(['--help'])).stdout)
  assert.ok(top.length >= 17, top.join(' '))
  const cmds = top.filter((n) => n !== 'git').map((n) => [n])
  for (const sub of names((await runCli(['git', '--help'])).stdout)) if (sub !== 'hook') cmds.push(['git', sub]) // hook: a group, its install is below
  cmds.push(['git', 'hook', 'install'])
  for (const c of cmds) {
    const r = await runCli([...c, '--help'])
    assert.is(r.code, 0, c.join(' '))
    assert.match(r.stdout, /\nExamples[^\n]*:\n  /, `${c.join(' ')} --help has no examples`)
  }
})

test.run()
