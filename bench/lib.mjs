// Shared helpers for the benchmarks: time whole commands (median of N runs) and print tables.
import { spawnSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'

function timeOnce({ cmd, args, env = process.env, cwd, input }) {
  const t0 = performance.now()
  const r = spawnSync(cmd, args, { env, cwd, input, stdio: ['pipe', 'ignore', 'pipe'] })
  const dt = performance.now() - t0
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return dt
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export function timeCommand(cmd, args, { runs = 15, env = process.env, cwd, input } = {}) {
  return timeCommands([{ cmd, args, env, cwd, input }], { runs })[0]
}

/**
 * Medians of several commands run in turn (A B C A B C …), so that a slower or busier
 * moment of the machine weighs on all of them alike and their ratios stay comparable.
 * Two warm-up rounds are not counted.
 */
export function timeCommands(specs, { runs = 15 } = {}) {
  const times = specs.map(() => [])
  for (let i = 0; i < runs + 2; i++) {
    specs.forEach((spec, k) => {
      const dt = timeOnce(spec)
      if (i >= 2) times[k].push(dt)
    })
  }
  return times.map(median)
}

/** `node -e 0`: the cost of starting Node at all, the baseline of every ratio. */
export const floorSpec = (node) => ({ cmd: node, args: ['-e', '0'] })

export function table(title, rows, baseline) {
  const base = rows.find((r) => r.name === baseline)?.ms
  console.log(`\n### ${title}\n`)
  console.log('| command | median ms | × node -e 0 |')
  console.log('|---|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${r.ms.toFixed(1)} | ${base ? (r.ms / base).toFixed(2) : '-'} |`)
}
