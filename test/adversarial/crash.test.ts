/**
 * Crash safety: `encrypt -i`, `set` and `edit` (fake editor that changes a value) are
 * killed with SIGKILL at moments spread over their whole run. After every kill:
 *
 * - the target is byte-identical to the complete old version, or it is the complete new
 *   version (decrypts, MAC verified, to exactly the expected plaintext);
 * - its mode is kept (0640 here, not the default);
 * - nothing else is in the file's folder, in TMPDIR or in XDG_RUNTIME_DIR (the CLI gets
 *   private ones), and no file there holds the plaintext canary.
 *
 * Two leftovers cannot be prevented by any implementation, because SIGKILL runs no
 * cleanup code; they are tolerated only in their confined form and counted:
 * - an atomic-write temp (`.<name>.<pid>.<12 hex>.tmp`, src/io/atomic-write.ts) when the kill
 *   lands between its creation and the rename: it must hold no plaintext and have mode
 *   0600 (or the target's mode, once chmod ran); the next write of the target removes it
 *   (checked here after each kill that left one);
 * - `edit`'s private plaintext copy (`sops-like/sops-like-edit-*` under XDG_RUNTIME_DIR,
 *   folder 0700, file 0600) when the kill lands while it exists and before the watcher of
 *   src/io/janitor.ts started (editor.ts removes it on SIGINT/SIGTERM/SIGHUP, see
 *   test/cli/edit.test.ts; after SIGKILL the watcher does, which this test waits for; the
 *   next sops-like that makes a private folder removes what is left).
 * Set ADV_CRASH_STRICT=1 to fail on those too. ADV_CRASH_ITERATIONS changes the 40 kills
 * per command; ADV_VERBOSE=1 prints how the runs ended.
 *
 * The CLI is the esbuild bundle of the sources (./spawn.ts): a `--import tsx` start-up
 * takes most of a run, which would leave few kills landing in the interesting part.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, chmodSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { FormatName } from '../../src/formats/index.js'
import { decryptBytes } from '../../src/ops/crypt/decrypt.js'
import { createAgeIdentity } from '../../src/keys/age.js'
import type { Identity } from '../../src/keys/key-source.js'
import { CANARY, EXT, FORMATS, PATHS, SAMPLE, encryptWith, filesContaining, makeWorld, type World } from './harness.js'
import { cliBundle, startCli } from './spawn.js'
import { writeFileAtomic } from '../../src/io/atomic-write.js'

const ITERATIONS = Number(process.env.ADV_CRASH_ITERATIONS ?? 40)
const STRICT = process.env.ADV_CRASH_STRICT === '1'
const VERBOSE = process.env.ADV_VERBOSE === '1'
const MODE = 0o640
const NEW_SECRET = `new-${CANARY}`

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** Temp names of src/io/atomic-write.ts: `.<target name>.<pid>.<6 random bytes as hex>.tmp` beside the target. */
const atomicTemp = (name: string): RegExp => new RegExp(`^\\.${escapeRe(name)}\\.\\d+\\.[0-9a-f]{12}\\.tmp$`)
/** Private folders of src/io/private-temp.ts (`sops-like/sops-like-edit-<pid>-<pid ns>-XXXXXX` in XDG_RUNTIME_DIR; the next sops-like sweeps those of dead PIDs, see test/io/private-temp.test.ts). */
const PRIVATE_BASE = 'sops-like'
const EDIT_TEMP = /^sops-like-edit-\d+-\d+-[A-Za-z0-9]{6}$/

interface Command {
  name: 'encrypt -i' | 'set' | 'edit'
  formats: FormatName[]
  args(file: string, f: FormatName): string[]
  /** The target's bytes before the run (`oldIsPlain`: plaintext that may hold the canary). */
  before(f: FormatName): Promise<Buffer>
  oldIsPlain: boolean
  /** What the complete new version decrypts to, derived from SAMPLE (not from the product). */
  expected(f: FormatName): Buffer
}

let w: World
let identity: Identity
const encrypted = new Map<FormatName, Buffer>()
async function encryptedSample(f: FormatName): Promise<Buffer> {
  let e = encrypted.get(f)
  if (!e) {
    e = await encryptWith(f, SAMPLE[f], w.key.recipient)
    encrypted.set(f, e)
  }
  return e
}

test.before(async () => {
  w = await makeWorld('sops-like-crash-')
  identity = createAgeIdentity([w.key.identity], 'crash test key')
  await cliBundle() // built once, before anything is timed
})
test.after(() => w?.cleanup())

const COMMANDS: Command[] = [
  {
    name: 'encrypt -i',
    formats: [...FORMATS],
    args: (file) => ['encrypt', '-i', file],
    before: async (f) => SAMPLE[f],
    oldIsPlain: true,
    expected: (f) => SAMPLE[f],
  },
  {
    name: 'set',
    formats: [...FORMATS], // binary: `set FILE '["data"]' VALUE` replaces the whole content
    args: (file, f) => ['set', file, PATHS[f].secret, JSON.stringify(NEW_SECRET)],
    before: encryptedSample,
    oldIsPlain: false,
    expected: (f) => f === 'binary'
      ? Buffer.from(NEW_SECRET)
      : Buffer.from(SAMPLE[f].toString('utf8').replace(new RegExp(`(password[^\\n]*?)${escapeRe(CANARY)}`, 'i'), `$1${NEW_SECRET}`)),
  },
  {
    // makeWorld's EDITOR is `sed -i s/admin/root/` (no shell); binary SAMPLE has no `admin`
    name: 'edit',
    formats: FORMATS.filter((f) => f !== 'binary'),
    args: (file) => ['edit', file],
    before: encryptedSample,
    oldIsPlain: false,
    expected: (f) => Buffer.from(SAMPLE[f].toString('utf8').replace('admin', 'root')),
  },
]

type State = 'old' | 'new'
interface Outcome {
  state: State
  killed: boolean
  /** Tolerated leftovers (see the file comment), as paths relative to the world folder. */
  atomicTemps: string[]
  editTemps: string[]
  ms: number
}

/** Regular files and folders under `root`, relative to it (symlinks not followed). */
/** Waits (up to 10 s) for the watcher of src/io/janitor.ts to remove a killed edit's private folder; one killed before the watcher started is left to the tolerance below. */
async function editTempsRemoved(): Promise<void> {
  const base = join(w.xdg, PRIVATE_BASE)
  const left = (): boolean => { try { return readdirSync(base).some((n) => EDIT_TEMP.test(n)) } catch { return false } }
  for (let i = 0; i < 200 && left(); i++) await new Promise((res) => setTimeout(res, 50))
}

function tree(root: string): Array<{ rel: string; dir: boolean; mode: number }> {
  const out: Array<{ rel: string; dir: boolean; mode: number }> = []
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n)
      const st = lstatSync(p)
      out.push({ rel: relative(root, p), dir: st.isDirectory(), mode: st.mode & 0o7777 })
      if (st.isDirectory()) walk(p)
    }
  }
  walk(root)
  return out
}

async function decrypts(bytes: Buffer, f: FormatName): Promise<Buffer | Error> {
  try {
    return Buffer.from(await decryptBytes(bytes, { inputFormat: f, identities: [identity] }))
  } catch (e) {
    return e as Error
  }
}

/** One run in a fresh folder, SIGKILLed after `delayMs` (never when null); checks every invariant. */
async function runOnce(cmd: Command, f: FormatName, delayMs: number | null, label: string): Promise<Outcome> {
  const dir = join(w.dir, 'runs', label)
  mkdirSync(dir, { recursive: true })
  const name = `secret.${EXT[f]}`
  const file = join(dir, name)
  const old = await cmd.before(f)
  writeFileSync(file, old)
  chmodSync(file, MODE)
  const ctx = `${cmd.name} ${f} [${label}${delayMs === null ? '' : `, SIGKILL after ${delayMs.toFixed(1)} ms`}]`

  const p = await startCli(cmd.args(file, f), { cwd: dir, env: w.env })
  const t0 = performance.now()
  const timer = delayMs === null ? undefined : setTimeout(() => p.kill('SIGKILL'), delayMs)
  const r = await p.done // 'close': also waits for an editor that outlived sops-like (it holds the pipes)
  const ms = performance.now() - t0
  clearTimeout(timer)
  const killed = r.signal === 'SIGKILL'
  if (cmd.name === 'edit' && killed) await editTempsRemoved()
  assert.ok(killed || r.code === 0, `${ctx}: ended with ${r.signal ?? `exit ${r.code}`} without being killed: ${r.stderr}`)
  assert.not.ok(r.stdout.includes(CANARY) || r.stderr.includes(CANARY), `${ctx}: canary in the output`)

  // the target: present, mode kept, fully old or fully new
  const st = lstatSync(file)
  assert.ok(st.isFile(), `${ctx}: the target is no longer a regular file`)
  assert.is((st.mode & 0o7777).toString(8), MODE.toString(8), `${ctx}: mode of the target`)
  const now = readFileSync(file)
  let state: State
  if (now.equals(old)) state = 'old'
  else {
    const plain = await decrypts(now, f)
    assert.ok(!(plain instanceof Error), `${ctx}: the target is neither the old file nor a valid new one (${plain instanceof Error ? `${(plain as { code?: string }).code}: ${plain.message}` : ''}; ${now.length} bytes)`)
    assert.ok((plain as Buffer).equals(cmd.expected(f)), `${ctx}: the new version decrypts to something else:\n${String(plain)}`)
    state = 'new'
  }
  assert.ok(killed || state === 'new', `${ctx}: a complete run left the old file`)

  // the folder: only the target, plus at most a confined atomic-write temp
  const atomicTemps: string[] = []
  for (const e of tree(dir)) {
    if (e.rel === name) continue
    const ok = !e.dir && atomicTemp(name).test(e.rel) && (e.mode === 0o600 || e.mode === MODE)
    assert.ok(ok, `${ctx}: unexpected ${e.dir ? 'folder' : 'file'} left in the file's folder: ${e.rel} (mode ${e.mode.toString(8)})`)
    atomicTemps.push(relative(w.dir, join(dir, e.rel)))
  }

  // TMPDIR: nothing at all; XDG_RUNTIME_DIR: nothing but edit's private folder after a kill
  for (const e of tree(w.tmp)) assert.unreachable(`${ctx}: left in TMPDIR: ${e.rel}`)
  const editTemps: string[] = []
  for (const e of tree(w.xdg)) {
    if (e.rel === PRIVATE_BASE && e.dir && e.mode === 0o700) continue // the per-user base folder stays
    const [base, top] = e.rel.split('/')
    const confined = cmd.name === 'edit' && killed && base === PRIVATE_BASE && EDIT_TEMP.test(top ?? '') && (e.dir ? e.mode === 0o700 && e.rel === `${base}/${top}` : e.mode === 0o600)
    assert.ok(confined, `${ctx}: left in XDG_RUNTIME_DIR: ${e.rel} (mode ${e.mode.toString(8)})`)
    if (e.dir) editTemps.push(relative(w.dir, join(w.xdg, e.rel)))
  }

  // the plaintext canary: only in the target itself while it is the old plaintext, or in edit's private copy
  for (const hit of filesContaining([dir, w.tmp, w.xdg], CANARY)) {
    if (hit === file && state === 'old' && cmd.oldIsPlain) continue
    if (editTemps.some((t) => hit.startsWith(join(w.dir, t) + '/'))) continue
    assert.unreachable(`${ctx}: plaintext canary in ${relative(w.dir, hit)}`)
  }

  // a temp left by the killed process goes with the next write of the target
  if (atomicTemps.length > 0) {
    writeFileAtomic(file, now)
    const left = readdirSync(dir).filter((n) => n !== name)
    assert.equal(left, [], `${ctx}: the next write of the target left the dead process's temp`)
  }

  if (STRICT) {
    assert.equal(atomicTemps, [], `${ctx}: atomic-write temp left behind (ADV_CRASH_STRICT)`)
    assert.equal(editTemps, [], `${ctx}: edit's plaintext copy left behind (ADV_CRASH_STRICT)`)
  }
  rmSync(dir, { recursive: true, force: true })
  for (const n of readdirSync(w.xdg)) rmSync(join(w.xdg, n), { recursive: true, force: true })
  return { state, killed, atomicTemps, editTemps, ms }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

for (const cmd of COMMANDS) {
  test(`${cmd.name}: SIGKILL at ${ITERATIONS} moments across a run → target old or new (valid MAC), mode kept, no temp or plaintext left`, async () => {
    // one complete run per format: the expected result holds, and how long a run takes here
    const times: number[] = []
    for (const f of cmd.formats) {
      const o = await runOnce(cmd, f, null, `full-${f}`)
      assert.is(o.state, 'new', `${cmd.name} ${f}: a complete run`)
      times.push(o.ms)
    }
    const typical = median(times)
    const tally = { old: 0, new: 0, atomicTemps: 0, editTemps: 0 }
    for (let i = 0; i < ITERATIONS; i++) {
      const f = cmd.formats[i % cmd.formats.length]!
      // stratified over [0, typical): every part of the run gets its share of kills
      const o = await runOnce(cmd, f, (typical * (i + Math.random())) / ITERATIONS, `kill-${i}`)
      tally[o.state]++
      tally.atomicTemps += o.atomicTemps.length
      tally.editTemps += o.editTemps.length
    }
    if (VERBOSE) console.log(`\n${cmd.name}: typical run ${typical.toFixed(0)} ms; ${JSON.stringify(tally)}`)
  })
}

test.run()
