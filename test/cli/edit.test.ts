/**
 * End to end: `edit` with fake editors (shell scripts), `set` and `unset` through the CLI.
 * Exit codes, minimal line diffs, no temp file left behind (XDG_RUNTIME_DIR points at a
 * test folder), signals to a real sops-like process, and no secret in any output.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, spawnCli, isolatedEnv, TSX_IMPORT, type CliResult } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { loadFormat, type FormatName } from '../../src/formats/index.js'
import { newFileTemplate } from '../../src/ops/edit/templates.js'
import { privateLeftovers } from '../helpers/private-temp.js'

const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url))

const JSON_PLAIN = `{
\t"db": {
\t\t"user": "admin",
\t\t"password": "${CANARY}",
\t\t"port": 5432
\t},
\t"hosts": [
\t\t"a.example.com",
\t\t"b.example.com"
\t],
\t"enabled": true
}
`
const YAML_PLAIN = `# top comment
db:
    user: admin
    password: ${CANARY}
    port: 5432
hosts:
    - a.example.com
    - b.example.com
`

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

/** A fake editor: a shell script getting the temp file as its last argument. */
function editor(name: string, body: string): string {
  const p = join(t.dir, `${name}.sh`)
  writeFileSync(p, `#!/bin/sh\n${body}\n`)
  chmodSync(p, 0o755)
  return p
}
const env = (ed?: string, extra: NodeJS.ProcessEnv = {}) =>
  isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, XDG_RUNTIME_DIR: rt, ...(ed ? { EDITOR: ed } : {}), ...extra })
const read = (f: string) => readFileSync(join(t.dir, f), 'utf8')

async function encrypted(plain: string, ext: string): Promise<string> {
  const src = `plain${n}.${ext}`
  writeFileSync(join(t.dir, src), plain)
  const name = `f${n++}.enc.${ext}`
  const r = await runCli(['encrypt', '--age', k.recipient, '-o', name, src], { cwd: t.dir, env: env() })
  assert.is(r.code, 0, r.stderr)
  return name
}
const run = (args: string[], e = env()) => runCli(args, { cwd: t.dir, env: e })

function noLeak(r: { stdout: string; stderr: string }): void {
  assert.not.ok(r.stdout.includes(CANARY), 'canary in stdout')
  assert.not.ok(r.stderr.includes(CANARY), 'canary in stderr')
}
function tempGone(): void {
  assert.equal(privateLeftovers(rt), [], 'temporary files left behind')
}
function oneLineError(r: CliResult, code: number): void {
  assert.is(r.code, code, r.stderr)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^sops-like: /)
  noLeak(r)
}
/** Lines that differ (same line count required). */
function changedLines(a: string, b: string): string[] {
  const x = a.split('\n')
  const y = b.split('\n')
  assert.is(x.length, y.length, 'line count changed')
  return y.filter((line, i) => line !== x[i])
}
const isMeta = (l: string) => /"lastmodified"|"mac"|^\s*lastmodified:|^\s*mac:/.test(l)

test('edit: one changed value → only its line plus lastmodified/mac change; temp gone', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const before = read(f)
  const ed = editor('port', `sed -i 's/"port": 5432/"port": 6543/' "$1"`)
  const r = await run(['edit', f], env(ed))
  assert.is(r.code, 0, r.stderr)
  noLeak(r)
  tempGone()
  const diff = changedLines(before, read(f))
  const values = diff.filter((l) => !isMeta(l))
  assert.is(values.length, 1, diff.join('\n'))
  assert.match(values[0]!, /^\t\t"port": "ENC\[.*type:int\]",?$/)
  const d = await run(['decrypt', f])
  assert.is(d.stdout, JSON_PLAIN.replace('5432', '6543'))
})

test('edit: unchanged → exit 200, nothing written', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const before = read(f)
  const r = await run(['edit', f], env(editor('noop', 'exit 0')))
  oneLineError(r, 200)
  assert.is(read(f), before)
  tempGone()
})

test('edit: invalid syntax without a TTY → the format error (2, as sops), position only, nothing written', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const before = read(f)
  const ed = editor('broken', `printf '{\\n\\t"x": "${CANARY}",,\\n' > "$1"`)
  const r = await run(['edit', f], env(ed))
  oneLineError(r, 2)
  assert.match(r.stderr, /line 2/)
  assert.is(read(f), before)
  tempGone()
})

test('edit: a top-level sops key is refused (203), nothing written', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const before = read(f)
  const r = await run(['edit', f], env(editor('sops', `printf '{"sops": 1}' > "$1"`)))
  oneLineError(r, 203)
  assert.is(read(f), before)
  tempGone()
})

test('edit: editor that crashes or fails → 201, nothing written, temp gone', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const before = read(f)
  for (const body of ['echo changed > "$1"; kill -KILL $$', 'echo changed > "$1"; exit 3']) {
    const r = await run(['edit', f], env(editor('crash', body)))
    oneLineError(r, 201)
    assert.is(read(f), before)
    tempGone()
  }
  const none = await run(['edit', f], isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, XDG_RUNTIME_DIR: rt, PATH: '/nonexistent' }))
  oneLineError(none, 201)
  const missing = await run(['edit', f], env(join(t.dir, 'no-such-editor')))
  oneLineError(missing, 201)
  tempGone()
})

test('edit: editor with arguments (no shell); private 0600 file in a 0700 folder under XDG_RUNTIME_DIR, extension kept', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const log = join(t.dir, 'editor.log')
  const ed = editor('inspect', `echo "$1 $2" > "${log}"; stat -c '%a' "$2" >> "${log}"; stat -c '%a' "$(dirname "$2")" >> "${log}"; dirname "$(dirname "$2")" >> "${log}"; sed -i 's/"admin"/"root"/' "$2"`)
  const r = await run(['edit', f], env(`'${ed}' --wait`))
  assert.is(r.code, 0, r.stderr)
  const [args, fileMode, dirMode, parent] = readFileSync(log, 'utf8').trim().split('\n')
  assert.match(args!, /^--wait \S+\/f\d+\.enc\.json$/)
  assert.is(fileMode, '600')
  assert.is(dirMode, '700')
  assert.is(parent, join(rt, 'sops-like'))
  tempGone()
  assert.match((await run(['decrypt', '--extract', '["db"]["user"]', f])).stdout, /^root$/)
})

test('edit: a missing file is created from the template, encrypted to its creation rule', async () => {
  mkdirSync(join(t.dir, 'new', 'sub'), { recursive: true })
  writeFileSync(join(t.dir, 'new', '.sops-like.yaml'), `creation_rules:\n  - path_regex: ^(app|other)\\.json$\n    age: ${k.recipient}\n`)
  const ed = editor('tmpl', `sed -i 's/"example_value"/"${CANARY}"/' "$1"`)
  const r = await run(['edit', 'new/app.json'], env(ed))
  assert.is(r.code, 0, r.stderr)
  noLeak(r)
  tempGone()
  const text = read('new/app.json')
  assert.not.ok(text.includes(CANARY))
  assert.ok(text.includes(k.recipient))
  const d = await run(['decrypt', 'new/app.json'])
  assert.is(d.code, 0, d.stderr)
  const plain = JSON.parse(d.stdout)
  assert.is(plain.example_key, CANARY)
  assert.equal(plain.example_booleans, [true, false])
  // unchanged template → 200 and no file
  const r2 = await run(['edit', 'new/other.json'], env(editor('noop2', 'exit 0')))
  oneLineError(r2, 200)
  assert.not.ok(existsSync(join(t.dir, 'new/other.json')))
  // no rule matches → error before any editor runs
  const r3 = await run(['edit', 'new/sub/elsewhere.json'], env(editor('never', `touch "${join(t.dir, 'ran')}"`)))
  assert.is(r3.code, 12, r3.stderr)
  assert.not.ok(existsSync(join(t.dir, 'ran')))
  tempGone()
})

test('new-file templates: each format reads and writes its template unchanged', async () => {
  const names: FormatName[] = ['json', 'dotenv', 'ini', 'toml', 'binary', 'yaml']
  for (const name of names) {
    const f = await loadFormat(name)
    const tpl = newFileTemplate(name)
    assert.is(Buffer.from(f.emit(f.parse(tpl))).toString('utf8'), Buffer.from(tpl).toString('utf8'), name)
  }
})

test('edit: new dotenv and binary files with --age', async () => {
  const ed = editor('append', `printf 'TOKEN=${CANARY}\n' >> "$1"`)
  const r = await run(['edit', '--age', k.recipient, 'fresh.env'], env(ed))
  assert.is(r.code, 0, r.stderr)
  const d = await run(['decrypt', 'fresh.env'])
  assert.match(d.stdout, new RegExp(`^hello=Welcome to SOPS!.*\nexample_multiline=foo\\\\nbar\\\\nbaz\nTOKEN=${CANARY}\n$`, 's'))
  const b = await run(['edit', '--age', k.recipient, 'fresh.bin'], env(ed))
  assert.is(b.code, 0, b.stderr)
  assert.match(read('fresh.bin'), /^\{\n\t"data": "ENC\[/)
  assert.ok((await run(['decrypt', 'fresh.bin'])).stdout.endsWith(`please!TOKEN=${CANARY}\n`))
  tempGone()
})

/** Starts sops-like edit in a real process, waits for the fake editor to be running, sends `sig` to sops-like. */
async function killDuringEdit(sig: NodeJS.Signals): Promise<void> {
  const f = await encrypted(JSON_PLAIN, 'json')
  const before = read(f)
  const mark = join(t.dir, `mark-${sig}`)
  const ed = editor(`sleep-${sig}`, `echo $$ > "${mark}.tmp"; mv "${mark}.tmp" "${mark}"; exec sleep 30`)
  const child = spawn(process.execPath, ['--import', TSX_IMPORT, ENTRY, 'edit', f], { cwd: t.dir, env: env(ed), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { out += d })
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
  const deadline = Date.now() + 20000
  while (!existsSync(mark)) {
    if (Date.now() > deadline) { child.kill('SIGKILL'); assert.unreachable(`editor never started: ${out}`) }
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.is(privateLeftovers(rt).length, 1, 'temp folder exists while editing')
  const editorPid = Number(readFileSync(mark, 'utf8'))
  child.kill(sig)
  const code = await exited
  assert.is(code, 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[sig]!, out)
  tempGone()
  assert.is(read(f), before)
  assert.not.ok(out.includes(CANARY))
  await new Promise((r) => setTimeout(r, 200))
  // gone, or a zombie waiting for its new parent to reap it
  let alive = false
  try { alive = !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${editorPid}/stat`, 'utf8')) } catch { /* gone */ }
  if (alive) process.kill(editorPid, 'SIGKILL')
  assert.not.ok(alive, 'the editor was left running')
}

test('edit: SIGTERM to sops-like while the editor runs → temp folder gone, file unchanged, editor stopped', () => killDuringEdit('SIGTERM'))
test('edit: SIGINT likewise', () => killDuringEdit('SIGINT'))
test('edit: SIGHUP likewise', () => killDuringEdit('SIGHUP'))

test('edit YAML: one changed value → one line plus metadata; invalid YAML → error, nothing written', async () => {
  const f = await encrypted(YAML_PLAIN, 'yaml')
  const before = read(f)
  const r = await run(['edit', f], env(editor('yport', `sed -i 's/port: 5432/port: 6543/' "$1"`)))
  assert.is(r.code, 0, r.stderr)
  const diff = changedLines(before, read(f))
  assert.equal(diff.filter((l) => !isMeta(l)).map((l) => l.trim().split(':')[0]), ['port'])
  const mid = read(f)
  const bad = await run(['edit', f], env(editor('ybad', `printf 'a: [\\n  b: "${CANARY}\\n' > "$1"`)))
  oneLineError(bad, 2)
  assert.is(read(f), mid)
  tempGone()
})

test('set/unset: nested key, list item, new key; other values keep their ciphertext; no output', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const before = read(f)
  const r = await run(['set', f, '["db"]["user"]', '"root"'])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout + r.stderr, '')
  assert.equal(changedLines(before, read(f)).filter((l) => !isMeta(l)).map((l) => l.trim().split(':')[0]), ['"user"'])
  assert.is((await run(['set', f, '["hosts"][1]', '"c.example.com"'])).code, 0)
  assert.is((await run(['set', f, '["extra"]["n"]', '5'])).code, 0)
  const u = await run(['unset', f, '["hosts"][0]'])
  assert.is(u.code, 0, u.stderr)
  assert.is(u.stdout + u.stderr, '')
  const pw = (s: string) => s.match(/"password": "(ENC[^"]+)"/)![1]
  assert.is(pw(read(f)), pw(before))
  const plain = JSON.parse((await run(['decrypt', f])).stdout)
  assert.equal(plain, { db: { user: 'root', password: CANARY, port: 5432 }, hosts: ['c.example.com'], enabled: true, extra: { n: 5 } })
})

test('set/unset errors (sops codes): missing path 1, bad path 7, bad JSON 7, value twice 8, no value 1; file untouched', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const before = read(f)
  oneLineError(await run(['unset', f, '["db"]["nope"]']), 1)
  oneLineError(await run(['unset', f, '["hosts"][7]']), 1)
  oneLineError(await run(['set', f, 'db.password', '1']), 7)
  oneLineError(await run(['set', f, '["db"]["password"]', CANARY]), 7)
  oneLineError(await run(['set', f, '["sops"]', '1']), 203)
  writeFileSync(join(t.dir, 'v.json'), '"x"')
  oneLineError(await run(['set', '--value-file', 'v.json', f, '["a"]', '1']), 8)
  assert.is((await run(['set', f, '["a"]'])).code, 1)
  assert.is(read(f), before)
  const idem = await run(['unset', '--idempotent', f, '["nope"]'])
  assert.is(idem.code, 0, idem.stderr)
  const same = await run(['set', '--idempotent', f, '["db"]["user"]', '"admin"'])
  assert.is(same.code, 0, same.stderr)
  assert.is(read(f), before)
})

test('set --value-file and --value-stdin (real process): the secret never goes through argv or output', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  writeFileSync(join(t.dir, 'secret.json'), `"${CANARY}-file"\n`)
  const a = await run(['set', '--json', '--value-file', 'secret.json', f, '["db"]["password"]'])
  assert.is(a.code, 0, a.stderr)
  noLeak(a)
  assert.is((await run(['decrypt', '--extract', '["db"]["password"]', f])).stdout, `${CANARY}-file`)
  const b = spawnCli(['set', '--json', '--value-stdin', f, '["db"]["token"]'], { cwd: t.dir, env: env(), input: `"${CANARY}-stdin"\n` })
  assert.is(b.code, 0, b.stderr)
  noLeak(b)
  assert.not.ok(read(f).includes(CANARY))
  assert.is((await run(['decrypt', '--extract', '["db"]["token"]', f])).stdout, `${CANARY}-stdin`)
  const bad = spawnCli(['set', '--json', '--value-stdin', f, '["db"]["token"]'], { cwd: t.dir, env: env(), input: `${CANARY}` })
  assert.is(bad.code, 7, bad.stderr)
  noLeak(bad)
})

test('set --value-stdin / --value-file without --json: the bytes as they are, a string (printf x | set --value-stdin)', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  const raw = spawnCli(['set', '--value-stdin', f, '["db"]["token"]'], { cwd: t.dir, env: env(), input: `${CANARY} "quoted"\n` })
  assert.is(raw.code, 0, raw.stderr)
  noLeak(raw)
  assert.is((await run(['decrypt', '--extract', '["db"]["token"]', f])).stdout, `${CANARY} "quoted"\n`)
  writeFileSync(join(t.dir, 'raw.txt'), '5')
  assert.is((await run(['set', '--value-file', 'raw.txt', f, '["db"]["port"]'])).code, 0)
  assert.is(JSON.parse((await run(['decrypt', f])).stdout).db.port, '5') // a string, not the number 5
})

test('edit on a read-only file: exit 42 before the editor opens, one line; --force edits it', async () => {
  const f = await encrypted(JSON_PLAIN, 'json')
  chmodSync(join(t.dir, f), 0o444)
  const before = read(f)
  const mark = join(t.dir, 'ro-editor-ran')
  const ed = editor('ro', `touch "${mark}"; sed -i 's/"port": 5432/"port": 6543/' "$1"`)
  oneLineError(await run(['edit', f], env(ed)), 42)
  assert.not.ok(existsSync(mark), 'the editor was opened')
  assert.is(read(f), before)
  const r = await run(['edit', '--force', f], env(ed))
  assert.is(r.code, 0, r.stderr)
  assert.is.not(read(f), before)
  tempGone()
})

test.run()
