// git integration cost: `git log -p` over a 50-commit history of one encrypted YAML file
// (50 values, one value changed per commit with `sops-like set`), with the sops-like
// textconv driver against the same history without it (`--no-textconv`).
// Per-revision cost = (with − without) / 50, and its ratio to the floor (node -e 0).
// Not a test: nothing here asserts on time.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { timeCommand, timeCommands, floorSpec, table } from './lib.mjs'

const COMMITS = 50
const VALUES = 50

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

/** Builds the repository and times `git log -p` with and without the driver. */
export async function benchGit({ cli, node, runs, dir, quiet = false }) {
  const repo = join(dir, 'git-bench')
  mkdirSync(repo, { recursive: true })
  const home = join(dir, 'git-bench-home')
  mkdirSync(home, { recursive: true })
  const keyFile = join(dir, 'git-bench-key.txt')
  const recipient = run(node, [cli, 'keygen', '-o', keyFile], { env: { ...process.env, HOME: home } }).trim()
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', SOPS_AGE_KEY_FILE: keyFile, GIT_PAGER: 'cat' }
  const git = (...args) => run('git', args, { cwd: repo, env })

  git('init', '-q', '-b', 'main')
  git('config', 'user.email', 'bench@example.com')
  git('config', 'user.name', 'bench')
  git('config', 'commit.gpgsign', 'false')
  const plain = Array.from({ length: VALUES }, (_, i) => `key_${i}: value-${i}-${'x'.repeat(20)}`).join('\n') + '\n'
  writeFileSync(join(repo, 'plain.yaml'), plain)
  const file = 'secrets.enc.yaml'
  writeFileSync(join(repo, file), run(node, [cli, 'encrypt', '--age', recipient, 'plain.yaml'], { cwd: repo, env }))
  git('add', file)
  git('commit', '-q', '-m', 'commit 0')
  for (let c = 1; c < COMMITS; c++) {
    run(node, [cli, 'set', file, `["key_${c % VALUES}"]`, JSON.stringify(`changed-${c}`)], { cwd: repo, env })
    git('commit', '-q', '-am', `commit ${c}`)
  }
  // the driver as `git setup` writes it, pointing at this build
  writeFileSync(join(repo, '.git', 'info', 'attributes'), `*.enc.yaml diff=sops-like merge=sops-like\n`)
  git('config', 'diff.sops-like.textconv', `"${node}" "${cli}" textconv`)

  // each `git log -p` with the driver starts 100 processes: a few runs give a stable median
  const logRuns = Math.min(runs, Number(process.env.BENCH_GIT_RUNS ?? 2))
  const without = timeCommand('git', ['log', '-p', '--no-textconv'], { runs: logRuns, env, cwd: repo })
  const withDriver = timeCommand('git', ['log', '-p'], { runs: logRuns, env, cwd: repo })
  const withoutKey = timeCommand('git', ['log', '-p'], { runs: logRuns, env: { ...env, SOPS_AGE_KEY_FILE: join(dir, 'no-such-key.txt') }, cwd: repo })
  // the floor again, in turn with one textconv call: the machine's pace may have changed meanwhile
  const [floorR, textconv] = timeCommands([floorSpec(node), { cmd: node, args: [cli, 'textconv', join(repo, file)], env, cwd: repo }], { runs })
  const floor = floorR.ms
  const textconvOne = textconv.ms
  const perRev = (withDriver - without) / COMMITS
  const perRevKeyless = (withoutKey - without) / COMMITS
  if (!quiet) table(`git log -p, ${COMMITS} commits of one encrypted YAML file (${VALUES} values)`, [
    { name: 'node -e 0', ms: floor },
    { name: 'git log -p --no-textconv', ms: without },
    { name: 'git log -p with the textconv driver (key)', ms: withDriver },
    { name: 'git log -p with the textconv driver (no key: keyless view)', ms: withoutKey },
    { name: 'sops-like textconv (one file, key)', ms: textconvOne },
    { name: 'per revision, key: (with − without) / 50', ms: perRev },
    { name: 'per revision, keyless: (with − without) / 50', ms: perRevKeyless },
    { name: 'per textconv call (2 per revision: old and new blob), key', ms: perRev / 2 },
  ], 'node -e 0')
  if (!quiet) console.log(`\nper-revision textconv cost: ${perRev.toFixed(1)} ms = ${(perRev / floor).toFixed(2)}× node -e 0 (keyless: ${perRevKeyless.toFixed(1)} ms = ${(perRevKeyless / floor).toFixed(2)}×); git runs the driver twice per revision (no cachetextconv, on purpose): ${(perRev / 2).toFixed(1)} ms = ${(perRev / 2 / floor).toFixed(2)}× node -e 0 per call (target ≤ 2×)`)
  return { floor, textconv, without, withDriver, withoutKey, perRev, perRevKeyless }
}
