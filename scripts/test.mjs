// Runs the test files with uvu and prints the line CI reads: "N passed, N failed".
// Fails when a test failed, when uvu failed, or when no test ran at all.
//
//   node scripts/test.mjs            every test: the unit set, then the e2e set (npm test)
//   node scripts/test.mjs unit       in-process tests only: seconds, no build needed (npm run test:unit);
//                                    the property tests then run 100 documents per format, not 1000
//   node scripts/test.mjs e2e        tests that start processes: the CLI, git, age, gpg, the built bundle (npm run test:e2e)
//   node scripts/test.mjs [SET] RE   only the files of SET whose path below test/ matches the regex RE
//   node scripts/test.mjs list       which set each test file is in
//
// A test file is e2e when it starts a process, itself or through a helper that does, or needs
// the build (see PROCESS_HELPERS and E2E_TEXT below);
// everything else is a unit test. Nothing to keep in a list: a new test lands in the right set.
//
// Test files are loaded as ES modules (`node --import tsx`, no `uvu -r tsx`): with `-r`, uvu
// `require`s them, and every module src/ loads lazily with import() would then be a second
// copy (errors.ts included), so `instanceof` on our error classes would fail in tests only.
//
// The run gets a fresh TMPDIR; whatever a test or a command left in it counts as one failure.
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix, relative, sep } from 'node:path'

const SETS = ['unit', 'e2e']
const set = [...SETS, 'list'].includes(process.argv[2]) ? process.argv[2] : 'all'
const filter = new RegExp((set === 'all' ? process.argv[2] : process.argv[3]) ?? '')

/** Test helpers that start processes (the CLI from source, git, gpg, a whole team in real git). */
const PROCESS_HELPERS = ['helpers/git-repo.ts', 'ops/report/dated-git.ts', 'helpers/run.ts', 'team/harness.ts', 'adversarial/spawn.ts', 'keys/pgp-helpers.ts']
/** Starts a process itself, calls spawnCli (helpers/cli.ts, whose runCli stays in-process), or needs dist/ from `npm run build`. */
const E2E_TEXT = /from 'node:child_process'|\bspawnCli\(|dist\/(cli|src)\//

// Kept on purpose (not leftovers): the per-user private base folder, if empty (src/io/private-temp.ts),
// and tsx's compile cache, linked to the usual one so that the run stays warm.
const uid = process.getuid?.() ?? 0
const BASE = `sops-like-${uid}`
const TSX_CACHE = `tsx-${uid}`
let runTmp
/** A fresh TMPDIR for the run, like /tmp (world-writable, sticky: some tests run commands as another user). */
function makeRunTmp() {
  runTmp = mkdtempSync(join(tmpdir(), 'sops-like-suite-'))
  chmodSync(runTmp, 0o1777)
  mkdirSync(join(tmpdir(), TSX_CACHE), { recursive: true })
  symlinkSync(join(tmpdir(), TSX_CACHE), join(runTmp, TSX_CACHE))
}
/** What the run left in its TMPDIR, as paths below it. */
function leftovers() {
  const base = join(runTmp, BASE)
  return [
    ...readdirSync(runTmp).filter((n) => n !== BASE && n !== TSX_CACHE),
    ...(existsSync(base) ? readdirSync(base).map((n) => `${BASE}/${n}`) : []),
  ]
}

const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith('.test.ts')) files.push(relative('test', p).split(sep).join('/'))
  }
}
walk('test')
const kindOf = (f) => {
  const text = readFileSync(join('test', f), 'utf8')
  const local = [...text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)].map((m) => posix.join(posix.dirname(f), `${m[1]}.ts`))
  return E2E_TEXT.test(text) || local.some((l) => PROCESS_HELPERS.includes(l)) ? 'e2e' : 'unit'
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** Runs uvu over the given files; resolves to its counts. */
function runUvu(list) {
  return new Promise((done) => {
    const pattern = `^(${list.map(escape).join('|')})$`
    const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', pattern], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // the unit set alone is the quick loop: 100 generated documents per format instead of 1000
      env: { ...process.env, FORCE_COLOR: '0', TMPDIR: runTmp, ...(set === 'unit' && !process.env.ADV_PROPERTY_RUNS ? { ADV_PROPERTY_RUNS: '100' } : {}) },
    })
    let out = ''
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d) })
    child.on('close', (code) => {
      const clean = out.replace(/\x1b\[[0-9;]*m/g, '')
      const total = Number(/Total:\s+(\d+)/.exec(clean)?.[1] ?? 0)
      const passed = Number(/Passed:\s+(\d+)/.exec(clean)?.[1] ?? 0)
      const skipped = Number(/Skipped:\s+(\d+)/.exec(clean)?.[1] ?? 0)
      done({ total, passed, skipped, failed: Math.max(total - passed - skipped, code === 0 ? 0 : 1) })
    })
  })
}

if (set === 'list') {
  for (const f of files) console.log(`${kindOf(f).padEnd(4)} ${f}`)
  process.exit(0)
}

makeRunTmp()
const sum = { total: 0, passed: 0, skipped: 0, failed: 0 }
for (const kind of SETS) {
  if (set !== 'all' && set !== kind) continue
  const list = files.filter((f) => filter.test(f) && kindOf(f) === kind)
  if (!list.length) continue
  if (set === 'all') console.log(`\n== ${kind} tests (${list.length} files)\n`)
  const r = await runUvu(list)
  for (const k of Object.keys(sum)) sum[k] += r[k]
}
const left = leftovers()
rmSync(runTmp, { recursive: true, force: true })
if (left.length) {
  console.log(`\nFAIL  the suite left ${left.length} entries in TMPDIR: ${left.slice(0, 20).join(', ')}`)
  sum.failed += 1
}
console.log(`\n${sum.passed} passed, ${sum.failed} failed${sum.skipped ? `, ${sum.skipped} skipped` : ''}`)
if (sum.total === 0) { console.error('no test ran'); process.exit(1) }
process.exit(sum.failed > 0 ? 1 : 0)
