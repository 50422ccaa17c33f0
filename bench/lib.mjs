// Shared helpers for the benchmarks: time whole commands in turn (medians of N runs), with the
// peak RSS of Node commands (bench/peak-hook.cjs), and print markdown tables.
import { spawnSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'

const hook = new URL('./peak-hook.cjs', import.meta.url).pathname
const peakFile = join(tmpdir(), `sops-like-bench-peak-${process.pid}.txt`)

/** One run: wall ms and, for a Node command, its peak RSS in MiB. */
function timeOnce({ cmd, args, env = process.env, cwd, input, ok = [0] }) {
  const isNode = cmd === process.execPath
  rmSync(peakFile, { force: true })
  const t0 = performance.now()
  const r = spawnSync(cmd, isNode ? ['--require', hook, ...args] : args, {
    env: isNode ? { ...env, BENCH_PEAK_FILE: peakFile } : env, cwd, input, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 30,
  })
  const dt = performance.now() - t0
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} exited ${r.status}: ${r.stderr}`)
  let peak = NaN
  try {
    peak = Math.max(...readFileSync(peakFile, 'utf8').trim().split('\n').map(Number)) / 1024
  } catch {}
  return { ms: dt, peak }
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Several commands run in turn (A B C A B C …), so that a slower or busier moment of the machine
 * weighs on all of them alike: per command the median ms, the median peak MiB, and per command
 * the median of its pairwise ratio to the first one (`ratio[0]` is 1). Warm-up rounds not counted.
 */
export function timeCommands(specs, { runs = 15, warmup = 2 } = {}) {
  const ms = specs.map(() => [])
  const peak = specs.map(() => [])
  for (let i = 0; i < runs + warmup; i++) {
    specs.forEach((spec, k) => {
      const r = timeOnce(spec)
      if (i >= warmup) {
        ms[k].push(r.ms)
        peak[k].push(r.peak)
      }
    })
  }
  return specs.map((_, k) => ({ ms: median(ms[k]), peak: median(peak[k]), ratio: median(ms[k].map((x, i) => x / ms[0][i])) }))
}

export function timeCommand(cmd, args, { runs = 15, warmup = 2, env = process.env, cwd, input } = {}) {
  return timeCommands([{ cmd, args, env, cwd, input }], { runs, warmup })[0].ms
}

/** `node -e 0`: the cost of starting Node at all, the baseline of every ratio. */
export const floorSpec = (node) => ({ cmd: node, args: ['-e', '0'] })

export const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`)
export const fmtX = (x) => `${x.toFixed(2)}×`
export const fmtMiB = (m) => (Number.isFinite(m) ? `${m.toFixed(0)} MiB` : '')

/** A markdown table. */
export function markdown(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

/** A titled table of commands' medians and their ratio to `baseline` (the git bench run on its own). */
export function table(title, rows, baseline) {
  const base = rows.find((r) => r.name === baseline)?.ms
  console.log(`\n### ${title}\n`)
  console.log(markdown(['command', 'median ms', '× node -e 0'], rows.map((r) => [r.name, r.ms.toFixed(1), base ? (r.ms / base).toFixed(2) : '-'])))
}
