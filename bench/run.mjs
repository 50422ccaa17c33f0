// npm run bench: prints the README's benchmark table itself (markdown, with the machine line,
// Node version and date): every row of bench/rows.mjs with what was measured, the peak RSS of
// the command, its target and whether it is met. Ratios are pairs measured in the same run
// (A B A B …) against `node -e 0` (the floor) or the named peer. Not a test: nothing asserts.
// BENCH_RUNS (default 15) runs per light command, BENCH_HEAVY_RUNS (default 3) per command of a
// second or more; BENCH_ONLY=regex keeps the rows whose name matches.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir, cpus, totalmem, platform, release } from 'node:os'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { timeCommands, floorSpec, markdown, fmtMiB } from './lib.mjs'
import { ROWS } from './rows.mjs'
import { benchGit } from './git.bench.mjs'
import { benchRotate } from './rotate.bench.mjs'

const root = resolve(new URL('..', import.meta.url).pathname)
const cli = join(root, 'bin/sops-like.cjs')
const node = process.execPath
const dir = mkdtempSync(join(tmpdir(), 'sops-like-bench-'))
const runs = Number(process.env.BENCH_RUNS ?? 15)
const heavyRuns = Number(process.env.BENCH_HEAVY_RUNS ?? 3)
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined

function sh(args, opts = {}) {
  const r = spawnSync(node, [cli, ...args], { maxBuffer: 1 << 30, ...opts })
  if (r.status !== 0) throw new Error(`sops-like ${args[0]} failed: ${r.stderr}`)
  return r.stdout
}

try {
  const keyFile = join(dir, 'key.txt')
  const recipient = sh(['keygen', '-o', keyFile]).toString().trim()
  const identity = readFileSync(keyFile, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))
  const env = { ...process.env, SOPS_AGE_KEY_FILE: keyFile, HOME: dir }
  const files = new Map()
  let gitResult, rotateResult
  const b = {
    root, node, cli, dir, env, recipient, identity, runs, heavyRuns,
    floor: floorSpec(node),
    cliSpec: (args, opts = {}) => ({ cmd: node, args: [cli, ...args], env, ...opts }),
    time: (specs, { heavy = false } = {}) => timeCommands(specs, heavy ? { runs: heavyRuns, warmup: 1 } : { runs }),
    file(name, content) {
      const p = join(dir, name)
      if (!files.has(p)) writeFileSync(p, content)
      files.set(p, true)
      return p
    },
    encrypted(name, content) {
      const p = join(dir, `enc-${name}`)
      if (!files.has(p)) writeFileSync(p, sh(['encrypt', '--age', recipient, b.file(name, content)], { env }))
      files.set(p, true)
      return p
    },
    git: async () => (gitResult ??= await benchGit({ cli, node, runs, dir, quiet: true })),
    rotate: async () => (rotateResult ??= await benchRotate({ cli, node, dir })),
  }
  const rows = []
  for (const row of ROWS) {
    if ((only && !only.test(row.name)) || row.skip?.()) continue
    process.stderr.write(`bench: ${row.name}\n`)
    const r = await row.measure(b)
    rows.push([row.name, r.measured, fmtMiB(r.peak ?? NaN), row.target || '—', r.met === undefined ? '—' : r.met ? 'met' : '**not met**'])
  }
  const floorNow = timeCommands([floorSpec(node)], { runs })[0].ms
  const cpu = cpus()
  const date = new Date().toISOString().slice(0, 10)
  console.log(`Benchmarks, ${date}: ${cpu.length} × ${cpu[0]?.model?.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}; ` +
    `${runs} runs per command (${heavyRuns} for commands of a second or more), medians; floor \`node -e 0\` ${floorNow.toFixed(0)} ms` +
    `${process.env.NODE_EXTRA_CA_CERTS !== undefined ? ' (NODE_EXTRA_CA_CERTS is set: every Node start, the floor included, loads a certificate file)' : ''}. ` +
    'Ratios are pairs from the same run; peak RSS is the command\'s own (getrusage).\n')
  console.log(markdown(['what', 'measured', 'peak RSS', 'target', 'met'], rows))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
