// `sops-like history --all` on real-sized history: a repository of 500 commits over 200
// encrypted YAML files (20 values each), made in one `git fast-import` stream (no key, no
// 500 `git commit`s): commit 0 adds every file, each later commit changes one value in each
// of 3 files, and every 25th commit rotates 5 files (new ciphertext for every value, new
// wrapped key). The report reads it all in one `git log --raw` and one `git cat-file --batch`.
// Run alone: `npm run build && node bench/history.bench.mjs` (BENCH_HISTORY_RUNS, default 3).
// Not a test: nothing here asserts on time.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { floorSpec, table, timeCommands } from './lib.mjs'

const COMMITS = 500
const FILES = 200
const VALUES = 20
const RECIPIENTS = [
  'age10d9wmm89lacy7fspf9dnvw048j64dtyd8eyma62amm292yzpxs6sqrru7c',
  'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
]

const b64 = (n) => randomBytes(n).toString('base64')
const enc = (len) => `ENC[AES256_GCM,data:${b64(len)},iv:${b64(32)},tag:${b64(16)},type:str]`
const wrap = () => ['-----BEGIN AGE ENCRYPTED FILE-----', ...Array.from({ length: 5 }, () => b64(48)), '-----END AGE ENCRYPTED FILE-----'].map((l) => `            ${l}`).join('\n')

/** One file as sops-like writes it (the values' ciphertexts and wrapped keys are random: nobody decrypts them here). */
function render(f, t) {
  const lines = f.values.map((v, i) => `key_${i}: ${v}`)
  lines.push('sops:', '    age:')
  for (const [i, r] of RECIPIENTS.entries()) lines.push('        - enc: |', f.wraps[i], `          recipient: ${r}`)
  lines.push(`    lastmodified: "${new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z')}"`, `    mac: ${enc(64)}`, '    unencrypted_suffix: _unencrypted', '    version: 3.13.2', '')
  return lines.join('\n')
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

/** Writes the repository with one `git fast-import`; returns the time it took (ms). */
export function makeHistoryRepo(repo, env) {
  const t0 = performance.now()
  mkdirSync(repo, { recursive: true })
  run('git', ['init', '-q', '-b', 'main'], { cwd: repo, env })
  const files = Array.from({ length: FILES }, () => ({ values: Array.from({ length: VALUES }, () => enc(24)), wraps: RECIPIENTS.map(wrap) }))
  const path = (i) => `secrets/f${String(i).padStart(3, '0')}.enc.yaml`
  const chunks = []
  const start = Math.floor(Date.UTC(2025, 0, 1) / 1000)
  const file = (i, t) => {
    const body = Buffer.from(render(files[i], t))
    chunks.push(Buffer.from(`M 100644 inline ${path(i)}\ndata ${body.length}\n`), body, Buffer.from('\n'))
  }
  for (let c = 0; c < COMMITS; c++) {
    const t = start + c * 3600 * 17 // ~ every 17 hours: 500 commits over a year
    const msg = `commit ${c}`
    chunks.push(Buffer.from(`commit refs/heads/main\nauthor b <b@example.com> ${t} +0000\ncommitter b <b@example.com> ${t} +0000\ndata ${msg.length}\n${msg}\n`))
    if (c === 0) {
      const config = 'creation_rules:\n  - path_regex: secrets/.*\\.enc\\.yaml$\n    age: ' + RECIPIENTS.join(',') + '\n'
      chunks.push(Buffer.from(`M 100644 inline .sops-like.yaml\ndata ${Buffer.byteLength(config)}\n${config}\n`))
      for (let i = 0; i < FILES; i++) file(i, t)
    } else {
      const touched = new Set()
      for (let k = 0; k < 3; k++) {
        const i = (c * 7 + k * 61) % FILES
        files[i].values[(c + k) % VALUES] = enc(24)
        touched.add(i)
      }
      if (c % 25 === 0) {
        for (let k = 0; k < 5; k++) {
          const i = (c * 13 + k * 37) % FILES
          files[i].values = files[i].values.map(() => enc(24))
          files[i].wraps = RECIPIENTS.map(wrap)
          touched.add(i)
        }
      }
      for (const i of touched) file(i, t)
    }
    chunks.push(Buffer.from('\n'))
  }
  run('git', ['fast-import', '--quiet'], { cwd: repo, env, input: Buffer.concat(chunks) })
  run('git', ['checkout', '-q', '-f', 'main'], { cwd: repo, env })
  return performance.now() - t0
}

/** Builds the repository and times `history --all` (JSON to /dev/null) against the floor and a bare `git log --raw`. */
export async function benchHistory({ cli, node, runs, dir }) {
  const repo = join(dir, 'history-bench')
  const home = join(dir, 'history-bench-home')
  mkdirSync(home, { recursive: true })
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_PAGER: 'cat', SOPS_AGE_KEY_FILE: join(home, 'none.txt') }
  const built = makeHistoryRepo(repo, env)
  const n = Math.min(runs, Number(process.env.BENCH_HISTORY_RUNS ?? 3))
  const [floor, gitLog, history] = timeCommands([
    floorSpec(node),
    { cmd: 'git', args: ['log', '-z', '--raw', '-c', '--no-abbrev', '--no-renames', '--topo-order', '--reverse', 'HEAD'], env, cwd: repo },
    { cmd: node, args: [cli, 'history', '--all', '--format', 'json'], env, cwd: repo },
  ], { runs: n }).map((r) => r.ms)
  const values = FILES * VALUES
  table(`history --all: ${COMMITS} commits, ${FILES} files × ${VALUES} values (no key)`, [
    { name: 'node -e 0', ms: floor },
    { name: 'git log --raw over the history (the pass it makes)', ms: gitLog },
    { name: `sops-like history --all --format json (${values} values)`, ms: history },
  ], 'node -e 0')
  console.log(`\nhistory --all: ${(history / 1000).toFixed(2)} s for ${COMMITS} commits × ${FILES} files (${values} values), ${(history / COMMITS).toFixed(1)} ms per commit; repository made by fast-import in ${(built / 1000).toFixed(1)} s`)
  return { name: `history --all (${COMMITS} commits, ${FILES} files)`, historyMs: history, floorMs: floor, gitLogMs: gitLog, perCommitMs: history / COMMITS }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = resolve(new URL('..', import.meta.url).pathname)
  const dir = mkdtempSync(join(tmpdir(), 'sops-like-bench-history-'))
  try {
    await benchHistory({ cli: join(root, 'bin/sops-like.cjs'), node: process.execPath, runs: Number(process.env.BENCH_RUNS ?? 15), dir })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
