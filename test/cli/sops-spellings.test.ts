/** End to end: each sops spelling (src/cli/sops-argv.ts) gives sops' output and exit code; rotate's -i/-o/--output-type; filestatus. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, spawnCli, isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let rt: string
let n = 0
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir)
  rt = join(t.dir, 'runtime')
  mkdirSync(rt, { mode: 0o700 })
})
test.after(() => t.cleanup())

const PLAIN = `db:\n    password: ${CANARY}\n    port: 5432\n`
const env = (extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, XDG_RUNTIME_DIR: rt, ...extra })
const run = (args: string[], e = env()) => runCli(args, { cwd: t.dir, env: e })
const read = (f: string) => readFileSync(join(t.dir, f), 'utf8')
const dataKeyStanza = (s: string) => /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/.exec(s)?.[0]

/** A fresh encrypted YAML file made with sops' `-e` spelling. */
async function encrypted(): Promise<string> {
  const src = `plain${n}.yaml`
  writeFileSync(join(t.dir, src), PLAIN)
  const name = `f${n++}.enc.yaml`
  const r = await run(['-e', '--age', k.recipient, '--output', name, src])
  assert.is(r.code, 0, r.stderr)
  return name
}
function script(name: string, body: string): string {
  const p = join(t.dir, `${name}.sh`)
  writeFileSync(p, `#!/bin/sh\n${body}\n`)
  chmodSync(p, 0o755)
  return p
}

test('-e FILE prints the encrypted file; -e -i FILE encrypts in place (exit 0)', async () => {
  writeFileSync(join(t.dir, 'p.yaml'), PLAIN)
  const r = await run(['-e', '--age', k.recipient, 'p.yaml'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /password: ENC\[AES256_GCM,/)
  assert.not.match(r.stdout, CANARY)
  assert.is(read('p.yaml'), PLAIN)
  const i = await run(['--encrypt', '-i', '--age', k.recipient, 'p.yaml'])
  assert.is(i.code, 0, i.stderr)
  assert.is(i.stdout, '')
  assert.match(read('p.yaml'), /sops:/)
})

test('-d FILE prints the plaintext (exit 0); without a key exit 128 as sops', async () => {
  const f = await encrypted()
  const r = await run(['-d', f])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, PLAIN)
  const nokey = await run(['--decrypt', f], isolatedEnv())
  assert.is(nokey.code, 128)
  assert.is(nokey.stdout, '')
})

test('-d --extract, --output F, --output-type json', async () => {
  const f = await encrypted()
  assert.is((await run(['-d', '--extract', '["db"]["password"]', f])).stdout, CANARY)
  const o = await run(['-d', '--output', 'out.yaml', f])
  assert.is(o.code, 0, o.stderr)
  assert.is(read('out.yaml'), PLAIN)
  const j = await run(['-d', '--output-type', 'json', f])
  assert.is(j.code, 0, j.stderr)
  assert.equal(JSON.parse(j.stdout), { db: { password: CANARY, port: 5432 } })
})

test('-d --ignore-mac decrypts a file whose MAC does not match (exit 51 without it)', async () => {
  const f = await encrypted()
  const text = read(f).replace(/(mac: ENC\[AES256_GCM,data:)([A-Za-z0-9+/])/, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'))
  writeFileSync(join(t.dir, f), text)
  const bad = await run(['-d', f])
  assert.is(bad.code, 51)
  const ok = await run(['-d', '--ignore-mac', f])
  assert.is(ok.code, 0, ok.stderr)
  assert.is(ok.stdout, PLAIN)
})

test('-d /dev/stdin and -d - read standard input', async () => {
  const f = await encrypted()
  for (const name of ['/dev/stdin', '-']) {
    const r = spawnCli(['-d', '--input-type', 'yaml', name], { cwd: t.dir, env: env(), input: read(f) })
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, PLAIN)
  }
})

test('-r FILE prints the rotated file (new data key) and leaves FILE as it was, as sops', async () => {
  const f = await encrypted()
  const before = read(f)
  const r = await run(['-r', f])
  assert.is(r.code, 0, r.stderr)
  assert.is(read(f), before)
  assert.match(r.stdout, /sops:/)
  assert.is.not(dataKeyStanza(r.stdout), dataKeyStanza(before))
  writeFileSync(join(t.dir, 'rot.enc.yaml'), r.stdout)
  assert.is((await run(['-d', 'rot.enc.yaml'])).stdout, PLAIN)
})

test('rotate -i FILE and -r -i FILE rotate in place (-r -i prints nothing, as sops)', async () => {
  for (const argv of [['rotate', '-i'], ['-r', '-i']]) {
    const f = await encrypted()
    const before = read(f)
    const r = await run([...argv, f])
    assert.is(r.code, 0, r.stderr)
    if (argv[0] === '-r') assert.is(r.stdout, '')
    assert.is.not(read(f), before)
    assert.is((await run(['-d', f])).stdout, PLAIN)
  }
})

test('rotate --output F writes there; -o - --output-type json prints JSON; --output with two files is refused', async () => {
  const f = await encrypted()
  const before = read(f)
  const o = await run(['rotate', '--output', 'other.enc.yaml', f])
  assert.is(o.code, 0, o.stderr)
  assert.is(read(f), before)
  assert.is((await run(['-d', 'other.enc.yaml'])).stdout, PLAIN)
  const j = await run(['rotate', '-o', '-', '--output-type', 'json', f])
  assert.is(j.code, 0, j.stderr)
  writeFileSync(join(t.dir, 'rot.enc.json'), j.stdout)
  assert.equal(JSON.parse((await run(['-d', 'rot.enc.json'])).stdout), { db: { password: CANARY, port: 5432 } })
  assert.is((await run(['rotate', '-o', '-', f, f + 'x'])).code, 1)
  const both = await run(['rotate', '-i', '-o', 'x.yaml', f])
  assert.is(both.code, 8)
  const ot = await run(['rotate', '--output-type', 'json', '-i', f])
  assert.is(ot.code, 8)
  assert.match(ot.stderr, /--output-type needs --output/)
})

test('rotate --input-type: a YAML file without an extension', async () => {
  const f = await encrypted()
  writeFileSync(join(t.dir, 'noext'), read(f))
  const r = await run(['rotate', '--input-type', 'yaml', 'noext'])
  assert.is(r.code, 0, r.stderr)
  assert.is((await run(['-d', '--input-type', 'yaml', 'noext'])).stdout, PLAIN)
})

test('updatekeys --input-type is accepted', async () => {
  const f = await encrypted()
  mkdirSync(join(t.dir, 'uk'))
  writeFileSync(join(t.dir, 'uk', '.sops-like.yaml'), `creation_rules:\n  - path_regex: noext2$\n    age: ${k.recipient}\n`)
  writeFileSync(join(t.dir, 'uk', 'noext2'), read(f))
  const r = await runCli(['updatekeys', '-y', '--input-type', 'yaml', 'noext2'], { cwd: join(t.dir, 'uk'), env: env() })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /already up to date/)
})

test('--set \'["k"] "v"\' FILE sets the value in place (exit 0, nothing printed)', async () => {
  const f = await encrypted()
  const r = await run(['--set', '["db"]["password"] "new value"', f])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '')
  assert.is((await run(['-d', '--extract', '["db"]["password"]', f])).stdout, 'new value')
  const bad = await run(['--set', '["db"]["port"] not-json', f])
  assert.is(bad.code, 7)
})

test('a bare FILE opens the editor (SOPS_EDITOR over EDITOR), as sops\' default', async () => {
  const f = await encrypted()
  const sopsEd = script('sops-ed', 'sed -i "s/5432/6543/" "$1"')
  const ed = script('ed', 'sed -i "s/6543/1111/" "$1"')
  const r = await run([f], env({ SOPS_EDITOR: sopsEd, EDITOR: ed }))
  assert.is(r.code, 0, r.stderr)
  assert.is((await run(['-d', '--extract', '["db"]["port"]', f])).stdout.trim(), '6543')
  const e = await run([f], env({ EDITOR: ed }))
  assert.is(e.code, 0, e.stderr)
  assert.is((await run(['-d', '--extract', '["db"]["port"]', f])).stdout.trim(), '1111')
  const same = await run([f], env({ EDITOR: script('noop', 'true') }))
  assert.is(same.code, 200) // sops: file has not changed
})

test('edit --output-type: the file\'s own format is accepted, another says what to type', async () => {
  const f = await encrypted()
  const ok = await run(['edit', '--output-type', 'yaml', f], env({ EDITOR: script('noop2', 'true') }))
  assert.is(ok.code, 200)
  const r = await run(['--output-type', 'json', f])
  assert.is(r.code, 1)
  assert.match(r.stderr, /sops-like decrypt --output-type json/)
})

test('exec-env FILE CMD: the command runs by sh -c with the file\'s values; its exit code is ours', async () => {
  const f = await encrypted()
  const r = await run(['exec-env', f, 'printf %s "$db_password" > env.out; exit 3'], env({ db_password: 'from-env' }))
  assert.is(r.code, 3, r.stderr)
  assert.is(read('env.out'), CANARY) // the file's value wins, as in sops
  const keyVar = await run(['exec-env', f, 'printf %s "${SOPS_AGE_KEY_FILE:-unset}" > key.out'])
  assert.is(keyVar.code, 0, keyVar.stderr)
  assert.is(read('key.out'), 'unset') // deliberate difference: the key's location is not handed on
})

test('exec-file FILE CMD: {} is the decrypted file; its exit code is ours', async () => {
  const f = await encrypted()
  const r = await run(['exec-file', f, 'cat {} > file.out; exit 4'])
  assert.is(r.code, 4, r.stderr)
  assert.is(read('file.out'), PLAIN)
  const name = await run(['exec-file', f, 'basename {} > name.out'])
  assert.is(name.code, 0, name.stderr)
  assert.is(read('name.out'), 'tmp-file\n')
  const nf = await run(['exec-file', '--no-fifo', f, 'cat {} > file2.out'])
  assert.is(nf.code, 0, nf.stderr)
  assert.is(read('file2.out'), PLAIN)
})

test('filestatus FILE prints {"encrypted":true} / {"encrypted":false} as sops', async () => {
  const f = await encrypted()
  const r = await run(['filestatus', f])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '{"encrypted":true}\n')
  writeFileSync(join(t.dir, 'clear.yaml'), PLAIN)
  const c = await run(['filestatus', 'clear.yaml'])
  assert.is(c.code, 0, c.stderr)
  assert.is(c.stdout, '{"encrypted":false}\n')
})

test('unsupported sops flags exit 1 with what to type instead', async () => {
  const f = await encrypted()
  const r = await run(['-d', '--keyservice', 'tcp://localhost:5000', f])
  assert.is(r.code, 1)
  assert.match(r.stderr, /^sops-like: --keyservice is a sops flag/)
  assert.is(r.stdout, '')
})

test.run()
