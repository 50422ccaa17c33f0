// npm run bench: start-up and throughput of sops-like against node -e 0 (the floor),
// the npm sops-age decoder and dotenvx, on the same machine in the same run.
// Prints markdown tables of medians and ratios. Not a test: nothing here asserts on time.
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { timeCommand, timeCommands, floorSpec, table } from './lib.mjs'

const root = resolve(new URL('..', import.meta.url).pathname)
const cli = join(root, 'bin/sops-like.cjs')
const node = process.execPath
const dir = mkdtempSync(join(tmpdir(), 'sops-like-bench-'))
const runs = Number(process.env.BENCH_RUNS ?? 15)

function sh(args, opts = {}) {
  const r = spawnSync(node, [cli, ...args], { encoding: 'utf8', ...opts })
  if (r.status !== 0) throw new Error(`sops-like ${args[0]} failed: ${r.stderr}`)
  return r.stdout
}

try {
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${runs} runs each (median)`)
  const keyOut = sh(['keygen', '-o', join(dir, 'key.txt')])
  const recipient = keyOut.trim()
  const identity = readFileSync(join(dir, 'key.txt'), 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))
  const env = { ...process.env, SOPS_AGE_KEY_FILE: join(dir, 'key.txt'), HOME: dir }
  const floor = timeCommand(node, ['-e', '0'], { runs })

  for (const n of [50, 5000]) {
    const yaml = Array.from({ length: n }, (_, i) => `key_${i}: value-${i}-${'x'.repeat(20)}`).join('\n') + '\n'
    writeFileSync(join(dir, `p${n}.yaml`), yaml)
    writeFileSync(join(dir, `e${n}.yaml`), sh(['encrypt', '--age', recipient, join(dir, `p${n}.yaml`)], { env }))
    const sopsAge = `import('sops-age').then(async m => { await m.decryptSops({ path: ${JSON.stringify(join(dir, `e${n}.yaml`))}, secretKey: ${JSON.stringify(identity)} }) })`
    const names = ['node -e 0', `sops-like decrypt (${n} values)`, `sops-age decryptSops (${n} values)`, `sops-like encrypt (${n} values)`]
    const ms = timeCommands([
      floorSpec(node),
      { cmd: node, args: [cli, 'decrypt', join(dir, `e${n}.yaml`)], env },
      { cmd: node, args: ['--input-type=module', '-e', sopsAge], env, cwd: root },
      { cmd: node, args: [cli, 'encrypt', '--age', recipient, join(dir, `p${n}.yaml`)], env },
    ], { runs })
    const rows = names.map((name, i) => ({ name, ms: ms[i] }))
    table(`decrypt / encrypt, ${n} values (YAML, age)`, rows, 'node -e 0')
    const ratio = rows[2].ms / rows[1].ms
    console.log(`\nsops-age / sops-like decrypt: ${ratio.toFixed(2)}× (target ≥ 2× at 5000 values); sops-like decrypt / floor: ${(rows[1].ms / rows[0].ms).toFixed(2)}× (target ≤ 5×)`)
  }

  // run -- true, 50 values, against dotenvx run on a 50-key encrypted .env
  const hasRun = spawnSync(node, [cli, 'run', '--help']).status === 0
  if (hasRun) {
    const dotenvx = join(root, 'node_modules/@dotenvx/dotenvx/src/cli/dotenvx.js')
    const envDir = mkdtempSync(join(dir, 'dotenvx-'))
    writeFileSync(join(envDir, '.env'), Array.from({ length: 50 }, (_, i) => `KEY_${i}=value-${i}`).join('\n') + '\n')
    spawnSync(node, [dotenvx, 'encrypt', '-f', '.env'], { cwd: envDir, stdio: 'ignore' })
    const specs = [floorSpec(node), { cmd: node, args: [cli, 'run', '-f', join(dir, 'e50.yaml'), '--', 'true'], env }]
    if (existsSync(dotenvx)) specs.push({ cmd: node, args: [dotenvx, 'run', '-q', '-f', '.env', '--', 'true'], cwd: envDir })
    const ms = timeCommands(specs, { runs })
    const rows = [
      { name: 'node -e 0', ms: ms[0] },
      { name: 'sops-like run -f secrets.enc.yaml -- true (50 values)', ms: ms[1] },
      { name: 'dotenvx run -f .env -- true (50 values)', ms: ms[2] ?? NaN },
    ]
    table('run -- true', rows, 'node -e 0')
    console.log(`\nrun / floor: ${(rows[1].ms / rows[0].ms).toFixed(2)}× (target ≤ 1.8×); dotenvx / sops-like: ${(rows[2].ms / rows[1].ms).toFixed(2)}× (target ≥ 8×)`)

    // NODE_EXTRA_CA_CERTS makes Node load a certificate file at every start, the floor included,
    // which shrinks every ratio: the same pair again without it, as most machines run Node
    if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
      const { NODE_EXTRA_CA_CERTS: _, ...plainEnv } = process.env
      const plain = timeCommands([{ ...floorSpec(node), env: plainEnv }, { ...specs[1], env: { ...plainEnv, SOPS_AGE_KEY_FILE: env.SOPS_AGE_KEY_FILE, HOME: env.HOME } }], { runs })
      table('run -- true, NODE_EXTRA_CA_CERTS unset', [
        { name: 'node -e 0', ms: plain[0] },
        { name: 'sops-like run -f secrets.enc.yaml -- true (50 values)', ms: plain[1] },
      ], 'node -e 0')
      console.log(`\nrun / floor without NODE_EXTRA_CA_CERTS: ${(plain[1] / plain[0]).toFixed(2)}×`)
    }
  }

  for (const extra of ['git.bench.mjs', 'rotate.bench.mjs']) {
    const p = join(root, 'bench', extra)
    if (!existsSync(p)) continue
    const mod = await import(p)
    const fn = Object.values(mod).find((v) => typeof v === 'function')
    const r = fn ? await fn({ cli, node, floor, runs, dir }) : undefined
    if (r?.medianMs !== undefined) {
      table('rotate --all', [{ name: 'node -e 0', ms: floor }, { name: r.name, ms: r.medianMs }, { name: 'per file', ms: r.perFileMs }], 'node -e 0')
      console.log(`\nrotate --all: ${(r.medianMs / 1000).toFixed(2)} s (target < 3 s), ${r.perFileMs.toFixed(1)} ms per file`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
