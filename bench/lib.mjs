// Shared helpers for the benchmarks: time whole commands (median of N runs) and print tables.
import { spawnSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'

export function timeCommand(cmd, args, { runs = 15, env = process.env, cwd, input } = {}) {
  const times = []
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now()
    const r = spawnSync(cmd, args, { env, cwd, input, stdio: ['pipe', 'ignore', 'pipe'] })
    const dt = performance.now() - t0
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
    if (i >= 2) times.push(dt) // two warm-up runs
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

export function table(title, rows, baseline) {
  const base = rows.find((r) => r.name === baseline)?.ms
  console.log(`\n### ${title}\n`)
  console.log('| command | median ms | × node -e 0 |')
  console.log('|---|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${r.ms.toFixed(1)} | ${base ? (r.ms / base).toFixed(2) : '-'} |`)
}
