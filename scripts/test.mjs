// Runs every test file with uvu and prints the line CI reads: "N passed, N failed".
// Fails when a test failed, when uvu failed, or when no test ran at all.
import { spawn } from 'node:child_process'

const pattern = process.argv[2] ?? '\\.test\\.ts$'
const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
})
let out = ''
child.stdout.on('data', (d) => { out += d; process.stdout.write(d) })
child.on('close', (code) => {
  const clean = out.replace(/\x1b\[[0-9;]*m/g, '')
  const total = Number(/Total:\s+(\d+)/.exec(clean)?.[1] ?? 0)
  const passed = Number(/Passed:\s+(\d+)/.exec(clean)?.[1] ?? 0)
  const skipped = Number(/Skipped:\s+(\d+)/.exec(clean)?.[1] ?? 0)
  const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1)
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
  if (total === 0) { console.error('no test ran'); process.exit(1) }
  process.exit(code !== 0 || failed > 0 ? 1 : 0)
})
