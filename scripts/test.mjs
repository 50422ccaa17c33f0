// Runs every test file with uvu and prints the line CI reads: "N passed, N failed".
// Fails when a test failed, when uvu failed, or when no test ran at all.
// The run gets a fresh TMPDIR; whatever a test or a command left in it counts as one failure.
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const pattern = process.argv[2] ?? '\\.test\\.ts$'
// Kept on purpose (not leftovers): the per-user private base folder, if empty (src/io/private-temp.ts),
// and tsx's compile cache, linked to the usual one so that the run stays warm.
const uid = process.getuid?.() ?? 0
const BASE = `sops-like-${uid}`
const TSX_CACHE = `tsx-${uid}`
const runTmp = mkdtempSync(join(tmpdir(), 'sops-like-suite-'))
chmodSync(runTmp, 0o1777) // like /tmp: some tests run commands as another user
mkdirSync(join(tmpdir(), TSX_CACHE), { recursive: true })
symlinkSync(join(tmpdir(), TSX_CACHE), join(runTmp, TSX_CACHE))
/** What the run left in its TMPDIR, as paths below it. */
function leftovers() {
  const base = join(runTmp, BASE)
  return [
    ...readdirSync(runTmp).filter((n) => n !== BASE && n !== TSX_CACHE),
    ...(existsSync(base) ? readdirSync(base).map((n) => `${BASE}/${n}`) : []),
  ]
}

const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0', TMPDIR: runTmp },
})
let out = ''
child.stdout.on('data', (d) => { out += d; process.stdout.write(d) })
child.on('close', (code) => {
  const clean = out.replace(/\x1b\[[0-9;]*m/g, '')
  const total = Number(/Total:\s+(\d+)/.exec(clean)?.[1] ?? 0)
  const passed = Number(/Passed:\s+(\d+)/.exec(clean)?.[1] ?? 0)
  const skipped = Number(/Skipped:\s+(\d+)/.exec(clean)?.[1] ?? 0)
  const left = leftovers()
  rmSync(runTmp, { recursive: true, force: true })
  if (left.length) console.log(`\nFAIL  the suite left ${left.length} entries in TMPDIR: ${left.slice(0, 20).join(', ')}`)
  const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1) + (left.length ? 1 : 0)
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
  if (total === 0) { console.error('no test ran'); process.exit(1) }
  process.exit(code !== 0 || failed > 0 ? 1 : 0)
})
