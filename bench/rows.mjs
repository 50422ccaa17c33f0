// The rows of the benchmark table, one entry each: what is measured, its target, and how. To add
// a row, add an entry: { name, target, measure(b) → { measured, peak?, met? }, skip?() } (met:
// true/false, or undefined for a row with no target; skip() true leaves the row out). `b` is the bench context made in bench/run.mjs:
//   b.node, b.cli, b.env, b.dir, b.recipient, b.identity, b.runs, b.heavyRuns,
//   b.cliSpec(args, opts?)  a spec running the CLI; b.floor  the `node -e 0` spec;
//   b.time(specs, { heavy })  timeCommands in turn (heavy: fewer runs for multi-second commands);
//   b.file(name, text)  writes a fixture, returns its path; b.encrypted(name, text)  the same, encrypted.
// Ratios in a row are pairs measured in the same run (A B A B …), never figures of two runs.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fmtMs, fmtX } from './lib.mjs'

const MiB = 1024 * 1024
const yamlValues = (n) => Array.from({ length: n }, (_, i) => `key_${i}: value-${i}-${'x'.repeat(20)}`).join('\n') + '\n'
const jsonValues = (n) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`key_${i}`, `value-${i}-${'x'.repeat(20)}`])), null, 2) + '\n'
const BIG = 20_000_000
const bigString = () => 'big: ' + 'abcdefghij0123456789'.repeat(BIG / 20) + '\n'
/** Pseudo-random bytes (not valid UTF-8), the same every run. */
function bigBinary() {
  const b = Buffer.alloc(BIG)
  let x = 0x2545f491
  for (let i = 0; i < BIG; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    b.writeInt32LE(x | 0, i)
  }
  return b
}
const memBound = (bytes) => (5 * bytes) / MiB + 60

/** Times the CLI on `args` against the floor and returns the row fields for a time (+ memory) bound. */
async function bounded(b, args, { maxMs, maxMiB, heavy = true }) {
  const [, r] = b.time([b.floor, b.cliSpec(args)], { heavy })
  const met = maxMs === undefined ? undefined : r.ms <= maxMs && (maxMiB === undefined || r.peak <= maxMiB)
  return { measured: `${fmtMs(r.ms)} (${fmtX(r.ratio)} floor)`, peak: r.peak, met }
}

/** `run -f FILE -- true` on n values against the floor and `dotenvx run` on an n-key encrypted .env. */
function runVsDotenvx(b, n) {
  const enc = b.encrypted(`run${n}.yaml`, yamlValues(n))
  const dotenvx = join(b.root, 'node_modules/@dotenvx/dotenvx/src/cli/dotenvx.js')
  const specs = [b.floor, b.cliSpec(['run', '-f', enc, '--', 'true'])]
  if (existsSync(dotenvx)) {
    const envDir = mkdtempSync(join(b.dir, 'dotenvx-'))
    writeFileSync(join(envDir, '.env'), Array.from({ length: n }, (_, i) => `KEY_${i}=value-${i}`).join('\n') + '\n')
    spawnSync(b.node, [dotenvx, 'encrypt', '-f', '.env'], { cwd: envDir, stdio: 'ignore' })
    specs.push({ cmd: b.node, args: [dotenvx, 'run', '-q', '-f', '.env', '--', 'true'], cwd: envDir })
  }
  const [, run, dx] = b.time(specs)
  return { run, dx, vs: dx ? dx.ratio / run.ratio : NaN }
}

/** decrypt on n values against the floor and the npm sops-age decoder. */
function decryptVsSopsAge(b, n) {
  const enc = b.encrypted(`dec${n}.yaml`, yamlValues(n))
  const sopsAge = `import('sops-age').then(async m => { await m.decryptSops({ path: ${JSON.stringify(enc)}, secretKey: ${JSON.stringify(b.identity)} }) })`
  const [, dec, sa] = b.time([b.floor, b.cliSpec(['decrypt', enc]), { cmd: b.node, args: ['--input-type=module', '-e', sopsAge], env: b.env, cwd: b.root }])
  return { measured: `${fmtMs(dec.ms)} (${fmtX(dec.ratio)} floor); sops-age ${fmtMs(sa.ms)}, ${fmtX(sa.ratio / dec.ratio)} slower`, peak: dec.peak, dec, sa }
}

const cache = new Map()
const once = (key, f) => (cache.has(key) ? cache.get(key) : (cache.set(key, f()), cache.get(key)))

export const ROWS = [
  {
    name: '`run -- true`, 50 values',
    target: '≤ 1.4× floor',
    measure: (b) => { const r = once('run50', () => runVsDotenvx(b, 50)); return { measured: `${fmtMs(r.run.ms)} (${fmtX(r.run.ratio)} floor)`, peak: r.run.peak, met: r.run.ratio <= 1.4 } },
  },
  {
    name: '`run -- true`, 50 values, vs `dotenvx run`',
    target: '≥ 8× faster',
    measure: (b) => { const r = once('run50', () => runVsDotenvx(b, 50)); return { measured: `dotenvx ${fmtMs(r.dx?.ms ?? NaN)}: ${fmtX(r.vs)} slower`, met: r.vs >= 8 } },
  },
  {
    // NODE_EXTRA_CA_CERTS makes Node load a certificate file at every start, the floor included, which shrinks every ratio
    name: '`run -- true`, 50 values, `NODE_EXTRA_CA_CERTS` unset',
    target: '',
    skip: () => process.env.NODE_EXTRA_CA_CERTS === undefined,
    measure: (b) => {
      const { NODE_EXTRA_CA_CERTS: _, ...plain } = b.env
      const enc = b.encrypted('run50.yaml', yamlValues(50))
      const [, run] = b.time([{ ...b.floor, env: plain }, b.cliSpec(['run', '-f', enc, '--', 'true'], { env: plain })])
      return { measured: `${fmtMs(run.ms)} (${fmtX(run.ratio)} floor)`, peak: run.peak }
    },
  },
  {
    name: '`run -- true`, 500 values, vs `dotenvx run`',
    target: '',
    measure: (b) => { const r = runVsDotenvx(b, 500); return { measured: `${fmtMs(r.run.ms)} (${fmtX(r.run.ratio)} floor); dotenvx ${fmtMs(r.dx?.ms ?? NaN)}, ${fmtX(r.vs)} slower`, peak: r.run.peak } },
  },
  { name: '`decrypt`, 50 values (YAML, age), vs sops-age', target: '', measure: (b) => decryptVsSopsAge(b, 50) },
  {
    name: '`decrypt`, 5,000 values, vs sops-age',
    target: '≤ 5× floor, ≥ 2× faster than sops-age',
    measure: (b) => { const r = decryptVsSopsAge(b, 5000); return { ...r, met: r.dec.ratio <= 5 && r.sa.ratio / r.dec.ratio >= 2 } },
  },
  {
    name: '`encrypt` YAML, 100,000 values (4.4 MB)',
    target: '≤ 1.5 s, ≤ 200 MiB',
    measure: (b) => bounded(b, ['encrypt', '--age', b.recipient, b.file('p100k.yaml', yamlValues(100_000))], { maxMs: 1500, maxMiB: 200 }),
  },
  { name: '`decrypt` YAML, 100,000 values', target: '', measure: (b) => bounded(b, ['decrypt', b.encrypted('p100k.yaml', yamlValues(100_000))], {}) },
  { name: '`encrypt` JSON, 100,000 values (5.1 MB)', target: '', measure: (b) => bounded(b, ['encrypt', '--age', b.recipient, b.file('p100k.json', jsonValues(100_000))], {}) },
  { name: '`decrypt` JSON, 100,000 values', target: '', measure: (b) => bounded(b, ['decrypt', b.encrypted('p100k.json', jsonValues(100_000))], {}) },
  {
    name: '`encrypt` one 20 MB string value (YAML)',
    target: `≤ 1.5 s, ≤ ${memBound(BIG).toFixed(0)} MiB (5× file + 60 MiB)`,
    measure: (b) => bounded(b, ['encrypt', '--age', b.recipient, b.file('big.yaml', bigString())], { maxMs: 1500, maxMiB: memBound(BIG) }),
  },
  {
    name: '`decrypt` one 20 MB string value (YAML)',
    target: `≤ 1.5 s, ≤ ${memBound(BIG).toFixed(0)} MiB`,
    measure: (b) => bounded(b, ['decrypt', b.encrypted('big.yaml', bigString())], { maxMs: 1500, maxMiB: memBound(BIG) }),
  },
  {
    name: '`encrypt` a 20 MB binary file',
    target: `≤ 0.8 s, ≤ ${memBound(BIG).toFixed(0)} MiB`,
    measure: (b) => bounded(b, ['encrypt', '--age', b.recipient, b.file('big.bin', bigBinary())], { maxMs: 800, maxMiB: memBound(BIG) }),
  },
  {
    name: '`decrypt` a 20 MB binary file',
    target: `≤ 0.8 s, ≤ ${memBound(BIG).toFixed(0)} MiB`,
    measure: (b) => bounded(b, ['decrypt', b.encrypted('big.bin', bigBinary())], { maxMs: 800, maxMiB: memBound(BIG) }),
  },
  {
    name: '`set` one value in a 5,000-value file, vs `decrypt` of it',
    target: '≤ 1.15× decrypt',
    measure: (b) => {
      const enc = b.encrypted('set5000.yaml', yamlValues(5000))
      const [, set] = b.time([b.cliSpec(['decrypt', enc]), b.cliSpec(['set', enc, '["key_7"]', '"changed"'])])
      return { measured: `${fmtMs(set.ms)}, ${fmtX(set.ratio)} decrypt`, peak: set.peak, met: set.ratio <= 1.15 }
    },
  },
  {
    name: '`edit` a 5,000-value file (editor changes nothing), vs `decrypt`',
    target: '',
    measure: (b) => {
      const enc = b.encrypted('edit5000.yaml', yamlValues(5000))
      const [, edit] = b.time([b.cliSpec(['decrypt', enc]), { ...b.cliSpec(['edit', enc], { env: { ...b.env, EDITOR: 'true', VISUAL: 'true' } }), ok: [0, 200] }])
      return { measured: `${fmtMs(edit.ms)}, ${fmtX(edit.ratio)} decrypt`, peak: edit.peak }
    },
  },
  {
    name: '`textconv`, one call (50 values)',
    target: '≤ 1.4× floor',
    measure: async (b) => { const g = await b.git(); return { measured: `${fmtMs(g.textconv.ms)} (${fmtX(g.textconv.ratio)} floor)`, peak: g.textconv.peak, met: g.textconv.ratio <= 1.4 } },
  },
  {
    name: '`git log -p`, 50 commits, per revision (2 textconv calls)',
    target: '≤ 2.8× floor',
    measure: async (b) => { const g = await b.git(); return { measured: `${fmtMs(g.perRev)} (${fmtX(g.perRev / g.floor)} floor)`, met: g.perRev / g.floor <= 2.8 } },
  },
  {
    name: '`rotate --all`, 200 files × 20 values',
    target: '< 3 s',
    measure: async (b) => { const r = await b.rotate(); return { measured: `${fmtMs(r.medianMs)} (${r.perFileMs.toFixed(1)} ms/file)`, met: r.medianMs < 3000 } },
  },
  {
    name: '`history --all`, 500 commits × 200 files × 20 values, no key',
    target: '—',
    measure: async (b) => {
      const { benchHistory } = await import('./history.bench.mjs')
      const h = await benchHistory({ cli: b.cli, node: b.node, runs: b.heavyRuns, dir: b.dir })
      return { measured: `${fmtMs(h.historyMs)} (${fmtX(h.historyMs / h.floorMs)} floor; ${h.perCommitMs.toFixed(1)} ms per commit)`, met: undefined }
    },
  },
]
