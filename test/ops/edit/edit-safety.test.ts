/**
 * `edit` against the attacks and accidents of security round two:
 * - the editor (and its plugins, or a shell started from it) gets none of the key variables;
 * - a read-only target is refused before the editor opens (force overrides);
 * - a crash of sops-like after the editor wrote the decrypted text (uncaught exception,
 *   unhandled rejection) leaves no plaintext under the private base;
 * - a failure after editing offers to reopen the editor on the user's edits, and giving up
 *   says so and removes the plaintext.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { editFile } from '../../../src/ops/edit/edit.js'
import { createAgeIdentity } from '../../../src/keys/age.js'
import { KEY_ENV_VARS } from '../../../src/ops/run/env.js'
import { isolatedEnv, TSX_IMPORT } from '../../helpers/cli.js'
import { CANARY } from '../../helpers/fixtures.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { privateLeftovers } from '../../helpers/private-temp.js'
import { writeEncrypted } from '../../helpers/run.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let rt: string
let n = 0
const PLAIN = `db:\n  password: ${CANARY}\n  port: 5432\n`
test.before(async () => {
  t = tempDir('sops-like-edit-safety-')
  k = await makeAgeKey(t.dir)
  rt = join(t.dir, 'runtime')
  mkdirSync(rt, { mode: 0o700 })
})
test.after(() => t.cleanup())

const env = (extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, XDG_RUNTIME_DIR: rt, ...extra })
function editor(body: string): string {
  const p = join(t.dir, `editor${n++}.sh`)
  writeFileSync(p, `#!/bin/sh\n${body}\n`)
  chmodSync(p, 0o755)
  return p
}
const fresh = async (): Promise<string> => writeEncrypted(t.dir, `s${n++}.enc.yaml`, PLAIN, 'yaml', k.recipient)
/** Files under `dir` (links not followed) whose bytes include the canary. */
function holdingCanary(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name)
    return d.isDirectory() ? holdingCanary(p) : d.isFile() && readFileSync(p).includes(CANARY) ? [p] : []
  })
}
const noPlaintextLeft = (what: string): void => {
  assert.equal(privateLeftovers(rt), [], `${what}: private folder left`)
  assert.equal(holdingCanary(rt), [], `${what}: plaintext left`)
}

test('editor plugin reading SOPS_AGE_KEY & co. from its environment: the editor gets none of the key variables', async () => {
  const f = await fresh()
  const dump = join(t.dir, 'editor-env.txt')
  const keyVars = Object.fromEntries(KEY_ENV_VARS.filter((v) => v !== 'SOPS_AGE_KEY_FILE').map((v) => [v, `leaked-${v}`]))
  await editFile(f, {
    cwd: t.dir,
    env: env({ ...keyVars, EDITOR_MARK: 'kept' }),
    identities: [createAgeIdentity([k.identity], 'test key')], // the variables hold nonsense: keep them out of key loading
    editor: [editor(`env > "${dump}"; sed -i 's/5432/6543/' "$1"`)],
  })
  const seen = readFileSync(dump, 'utf8')
  for (const v of KEY_ENV_VARS) assert.not.ok(new RegExp(`^${v}=`, 'm').test(seen), `${v} reached the editor`)
  assert.match(seen, /^EDITOR_MARK=kept$/m)
  noPlaintextLeft('edit')
})

test('edit on a read-only (0444) file: ReadOnlyFileError before the editor opens; force edits it', async () => {
  const f = await fresh()
  chmodSync(f, 0o444)
  const before = readFileSync(f)
  const mark = join(t.dir, 'editor-ran')
  const ed = editor(`touch "${mark}"; sed -i 's/5432/6543/' "$1"`)
  try {
    await editFile(f, { cwd: t.dir, env: env(), editor: [ed] })
    assert.unreachable('edited a read-only file')
  } catch (e) {
    assert.is((e as { code?: string }).code, 'READ_ONLY', String(e))
  }
  assert.not.ok(existsSync(mark), 'the editor was opened')
  assert.ok(readFileSync(f).equals(before))
  await editFile(f, { cwd: t.dir, env: env(), editor: [ed], force: true })
  assert.ok(existsSync(mark))
  assert.not.ok(readFileSync(f).equals(before))
  assert.is(statSync(f).mode & 0o777, 0o444)
})

/** Runs editFile in a child process that crashes (`how`) once the editor has written its edits. */
function crashDuringEdit(f: string, how: 'uncaughtException' | 'unhandledRejection'): { status: number | null; stderr: string } {
  const mark = join(t.dir, `written-${how}`)
  const ed = editor(`printf 'db:\\n  password: ${CANARY}-edited\\n' > "$1"; touch "${mark}"; exec sleep 5`)
  const script = join(t.dir, `crash-${how}.mts`)
  const mod = pathToFileURL(fileURLToPath(new URL('../../../src/ops/edit/edit.ts', import.meta.url))).href
  writeFileSync(script, `
import { existsSync } from 'node:fs'
import { editFile } from ${JSON.stringify(mod)}
const timer = setInterval(() => {
  if (!existsSync(${JSON.stringify(mark)})) return
  clearInterval(timer)
  ${how === 'uncaughtException' ? "throw new Error('boom')" : "void Promise.reject(new Error('boom'))"}
}, 20)
await editFile(${JSON.stringify(f)}, { editor: [${JSON.stringify(ed)}] })
`)
  const r = spawnSync(process.execPath, ['--import', TSX_IMPORT, script], { cwd: t.dir, env: env(), encoding: 'utf8', timeout: 60000 })
  return { status: r.status, stderr: r.stderr }
}

test('crash of sops-like after the editor wrote the decrypted text (uncaught exception, unhandled rejection): no plaintext left', async () => {
  for (const how of ['uncaughtException', 'unhandledRejection'] as const) {
    const f = await writeEncrypted(t.dir, `crash-${how}.enc.yaml`, PLAIN, 'yaml', k.recipient)
    const before = readFileSync(f)
    const r = crashDuringEdit(f, how)
    assert.is.not(r.status, 0, `${how}: the child did not crash`)
    assert.match(r.stderr, /boom/, `${how}: crashed for another reason: ${r.stderr}`)
    noPlaintextLeft(how)
    assert.ok(readFileSync(f).equals(before), `${how}: the target changed`)
    rmSync(f)
    rmSync(join(t.dir, `crash-${how}.mts`))
  }
})

test('write fails after editing: the editor reopens on the user\'s edits; giving up says so and removes the plaintext', async () => {
  const f = await fresh()
  const target = f
  const seen = join(t.dir, 'reopened.txt')
  // first run: edit, then make the target impossible to replace (a folder); second run: record what the editor shows
  const ed = editor(`if [ -f "${seen}.first" ]; then grep -c 6543 "$1" > "${seen}"; else sed -i 's/5432/6543/' "$1"; mv "${target}" "${target}.moved"; mkdir "${target}"; touch "${seen}.first"; fi`)
  const asked: string[] = []
  let answers = [true, false]
  try {
    await editFile(f, {
      cwd: t.dir,
      env: env(),
      editor: [ed],
      onInvalid: async (e) => { asked.push(e.code); return answers.shift() ?? false },
    })
    assert.unreachable('wrote over a folder')
  } catch (e) {
    assert.is((e as { code?: string }).code, 'WRITE_FAILED', String(e))
    const hint = (e as { hint?: string }).hint ?? ''
    assert.ok(/edits were discarded/.test(hint) && hint.includes(f), hint)
  }
  answers = []
  assert.equal(asked, ['WRITE_FAILED', 'WRITE_FAILED'])
  assert.is(readFileSync(seen, 'utf8').trim(), '1', 'the reopened editor showed the user\'s edits')
  noPlaintextLeft('write failure')
})

test('sops-like killed outright (SIGKILL, like the out-of-memory killer) while the editor has the decrypted file: the plaintext is removed at once', async () => {
  const f = await writeEncrypted(t.dir, 'killed.enc.yaml', PLAIN, 'yaml', k.recipient)
  const mark = join(t.dir, 'killed-editor-pid')
  const ed = editor(`sed -i 's/5432/6543/' "$1"; echo $$ > "${mark}.tmp"; mv "${mark}.tmp" "${mark}"; exec sleep 30`)
  const mod = pathToFileURL(fileURLToPath(new URL('../../../src/ops/edit/edit.ts', import.meta.url))).href
  const script = join(t.dir, 'killed.mts')
  writeFileSync(script, `import { editFile } from ${JSON.stringify(mod)}\nawait editFile(${JSON.stringify(f)}, { editor: [${JSON.stringify(ed)}] })\n`)
  const child = spawn(process.execPath, ['--import', TSX_IMPORT, script], { cwd: t.dir, env: env(), stdio: 'ignore' })
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, sig) => res(sig)))
  for (let i = 0; i < 600 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 50))
  assert.ok(existsSync(mark), 'the editor never started')
  assert.is(holdingCanary(rt).length, 1, 'the decrypted copy exists while editing')
  child.kill('SIGKILL')
  assert.is(await exited, 'SIGKILL')
  for (let i = 0; i < 400 && privateLeftovers(rt).length; i++) await new Promise((r) => setTimeout(r, 50))
  try { process.kill(Number(readFileSync(mark, 'utf8')), 'SIGKILL') } catch { /* gone */ }
  noPlaintextLeft('SIGKILL')
})

test.run()
