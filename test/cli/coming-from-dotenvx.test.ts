/**
 * The README's "Coming from dotenvx" table, row by row: each row runs our command (and, where the
 * row states how dotenvx behaves, dotenvx itself from the @dotenvx/dotenvx dev dependency on the
 * same values in plaintext), and checks the difference the row states. When the README has the
 * section, every row's command must appear in it, so the table and this test stay one list.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isolatedEnv, runCli, spawnCli, type CliResult } from '../helpers/cli.js'
import { CANARY } from '../helpers/fixtures.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { writeEncrypted } from '../helpers/run.js'

const DOTENVX = join(dirname(createRequire(import.meta.url).resolve('@dotenvx/dotenvx/package.json')), 'src/cli/dotenvx.js')
const README = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md')
const t = tempDir('sops-like-from-dotenvx-')
let k: TestKey
let n = 0

const env = (extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, ...extra })
const ours = (args: string[], cwd = t.dir, extra: NodeJS.ProcessEnv = {}): Promise<CliResult> => runCli(args, { cwd, env: env(extra) })
const dotenvx = (args: string[], cwd = t.dir, extra: NodeJS.ProcessEnv = {}): string =>
  execFileSync(process.execPath, [DOTENVX, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: t.dir, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8')
/** A command that writes the value of $X to a fresh file; returns [argv, read()]. */
function printX(): [string[], () => string] {
  const out = join(t.dir, `x${n++}.txt`)
  return [[process.execPath, '-e', `require("fs").writeFileSync(${JSON.stringify(out)}, process.env.X ?? "(unset)")`], () => readFileSync(out, 'utf8')]
}
const sh = (script: string): string => execFileSync('sh', ['-c', script]).toString('utf8')

interface Row {
  dotenvx: string
  ours: string
  difference: string
  check: () => Promise<void>
}

const ROWS: Row[] = [
  {
    dotenvx: 'dotenvx run -- node app.js',
    ours: 'sops-like run -- node app.js',
    difference: 'default files: `secrets.enc.{yaml,yml,json,env}`, `.env.enc`, `secrets.enc.toml` (or `run.files` in `.sops-like.yaml`), looked for from the current folder up to the repository root; `--dry-run` names them. dotenvx reads `.env` in the current folder',
    check: async () => {
      const repo = join(t.dir, 'repo')
      mkdirSync(join(repo, '.git'), { recursive: true })
      mkdirSync(join(repo, 'app'), { recursive: true })
      await writeEncrypted(repo, '.env.enc', 'X=root\n', 'dotenv', k.recipient)
      const [cmd, read] = printX()
      assert.is((await ours(['run', '--', ...cmd], join(repo, 'app'))).code, 0)
      assert.is(read(), 'root')
      assert.match((await ours(['run', '--dry-run'], join(repo, 'app'))).stderr, /files \(found by name, later wins\): .*\.env\.enc/)
    },
  },
  {
    dotenvx: 'dotenvx run -f .env.a -f .env.b -- cmd',
    ours: 'sops-like run -f a.enc.env -f b.enc.env -- cmd',
    difference: 'order: in ours a later `-f` wins, in dotenvx the first one does (unless `--overload`); for dotenvx\'s result reverse the files: `-f b.enc.env -f a.enc.env`',
    check: async () => {
      const [c1, r1] = printX()
      dotenvx(['run', '-q', '-f', '.env.a', '-f', '.env.b', '--', ...c1])
      assert.is(r1(), 'a', 'dotenvx: the first file wins')
      const [c2, r2] = printX()
      assert.is((await ours(['run', '-f', 'a.enc.env', '-f', 'b.enc.env', '--', ...c2])).code, 0)
      assert.is(r2(), 'b', 'ours: the later file wins')
      const [c3, r3] = printX()
      assert.is((await ours(['run', '-f', 'b.enc.env', '-f', 'a.enc.env', '--', ...c3])).code, 0)
      assert.is(r3(), 'a', 'reversed: dotenvx\'s result')
    },
  },
  {
    dotenvx: 'dotenvx run --overload -f .env.a -f .env.b -- cmd',
    ours: 'sops-like run --overload -f a.enc.env -f b.enc.env -- cmd',
    difference: 'same: the later file wins, and the files win over variables already set (`--overload` is our `--override`)',
    check: async () => {
      const [c1, r1] = printX()
      dotenvx(['run', '-q', '--overload', '-f', '.env.a', '-f', '.env.b', '--', ...c1], t.dir, { X: 'preset' })
      const [c2, r2] = printX()
      assert.is((await ours(['run', '--overload', '-f', 'a.enc.env', '-f', 'b.enc.env', '--', ...c2], t.dir, { X: 'preset' })).code, 0)
      assert.is(r2(), r1())
      assert.is(r2(), 'b')
    },
  },
  {
    dotenvx: 'dotenvx get KEY -f .env.production',
    ours: 'sops-like get KEY .env.production.enc',
    difference: 'also dotted and tree paths (`db.password`, `\'["db"]["password"]\'`) and the names `run` exports (`db_password`); a missing key exits 1 with one line',
    check: async () => {
      assert.is(dotenvx(['get', 'SECRET', '-f', '.env.a']), `${CANARY}\n`)
      assert.is((await ours(['get', 'SECRET', 'a.enc.env'])).stdout, `${CANARY}\n`)
      assert.is((await ours(['get', 'db.password', 'app.enc.yaml'])).stdout, `${CANARY}\n`)
      assert.is((await ours(['get', 'db_password', 'app.enc.yaml'])).stdout, `${CANARY}\n`)
      assert.is((await ours(['get', 'NOPE', 'a.enc.env'])).code, 1)
    },
  },
  {
    dotenvx: 'dotenvx get -f .env.a',
    ours: 'sops-like get --all a.enc.env',
    difference: 'same JSON object',
    check: async () => {
      assert.equal(JSON.parse((await ours(['get', '--all', 'a.enc.env'])).stdout), JSON.parse(dotenvx(['get', '-f', '.env.a'])))
    },
  },
  {
    dotenvx: 'dotenvx get --format shell -f .env.a',
    ours: 'sops-like get --all --format shell a.enc.env',
    difference: 'same line; a value with spaces, quotes or `$` is single-quoted, so the line is safe in a shell',
    check: async () => {
      assert.is((await ours(['get', '--all', '--format', 'shell', 'a.enc.env'])).stdout, dotenvx(['get', '--format', 'shell', '-f', '.env.a']))
      assert.match((await ours(['get', '--all', '--format', 'shell', 'tricky.enc.env'])).stdout, /^Q='it'\\''s \$\(echo pwned\)'\n$/)
    },
  },
  {
    dotenvx: 'eval "$(dotenvx get --format eval -f .env.a)"',
    ours: 'eval "$(sops-like get --all --format eval a.enc.env)"',
    difference: 'same variables; values are single-quoted where needed, so `eval` never runs a value',
    check: async () => {
      const script = (out: string) => `eval "$1"; printf '%s|%s' "$X" "$SECRET"`.replace('$1', `$(cat <<'EOF'\n${out}\nEOF\n)`)
      const theirs = sh(script(dotenvx(['get', '--format', 'eval', '-f', '.env.a'])))
      const mine = sh(script((await ours(['get', '--all', '--format', 'eval', 'a.enc.env'])).stdout))
      assert.is(mine, theirs)
      const tricky = sh(`eval "$(cat <<'EOF'\n${(await ours(['get', '--all', '--format', 'eval', 'tricky.enc.env'])).stdout}\nEOF\n)"; printf %s "$Q"`)
      assert.is(tricky, "it's $(echo pwned)")
    },
  },
  {
    dotenvx: 'dotenvx set KEY value -f .env.production',
    ours: 'sops-like set .env.production.enc KEY value',
    difference: 'the file comes first (sops\' order); in a dotenv file the value is plain text; `printf %s "$V" | sops-like set --value-stdin FILE KEY` keeps it out of the shell history',
    check: async () => {
      await writeEncrypted(t.dir, '.env.production.enc', 'A=1\n', 'dotenv', k.recipient)
      assert.is((await ours(['set', '.env.production.enc', 'KEY', 'value with "quotes"'])).code, 0)
      assert.is((await ours(['get', 'KEY', '.env.production.enc'])).stdout, 'value with "quotes"\n')
      const piped = spawnCli(['set', '--value-stdin', '.env.production.enc', 'PIPED'], { cwd: t.dir, env: env(), input: 'x y' })
      assert.is(piped.code, 0, piped.stderr)
      assert.is((await ours(['get', 'PIPED', '.env.production.enc'])).stdout, 'x y\n')
    },
  },
  {
    dotenvx: 'dotenvx encrypt -f .env',
    ours: 'sops-like encrypt .env -o .env.enc',
    difference: 'values encrypted with AES-256-GCM under one data key, with sops\' MAC over the file, to the age/PGP recipients of `.sops-like.yaml`; no `.env.keys` to share: each person keeps their own age key',
    check: async () => {
      const dir = join(t.dir, 'enc')
      mkdirSync(dir)
      writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - age: ${k.recipient}\n`)
      writeFileSync(join(dir, '.env'), `SECRET=${CANARY}\n`)
      assert.is((await ours(['encrypt', '.env', '-o', '.env.enc'], dir)).code, 0)
      const text = readFileSync(join(dir, '.env.enc'), 'utf8')
      assert.match(text, /^SECRET=ENC\[AES256_GCM,/m)
      assert.match(text, /^sops_mac=ENC\[/m)
      assert.not.ok(text.includes(CANARY))
      assert.not.ok(existsSync(join(dir, '.env.keys')))
    },
  },
  {
    dotenvx: 'dotenvx decrypt -f .env',
    ours: 'sops-like decrypt .env.enc',
    difference: 'prints the plaintext and leaves the file encrypted; `-i` decrypts in place as dotenvx does',
    check: async () => {
      assert.is((await ours(['decrypt', '.env.enc'], join(t.dir, 'enc'))).stdout, `SECRET=${CANARY}\n`)
    },
  },
  {
    dotenvx: 'an existing dotenvx-encrypted .env.production',
    ours: 'sops-like import-dotenvx .env.production --keys .env.keys',
    difference: 'converts it once to `.env.production.enc` for your creation rule\'s recipients; `run` refuses a dotenvx file (exit 16) rather than inject `encrypted:…` strings',
    check: async () => {
      const dir = join(t.dir, 'imp')
      mkdirSync(dir)
      writeFileSync(join(dir, '.env.production'), `SECRET=${CANARY}\n`)
      dotenvx(['encrypt', '-f', '.env.production'], dir)
      writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - age: ${k.recipient}\n`)
      assert.is((await ours(['run', '-f', '.env.production', '--', 'true'], dir)).code, 16)
      assert.is((await ours(['import-dotenvx', '.env.production', '--keys', '.env.keys'], dir)).code, 0)
      assert.is((await ours(['get', 'SECRET', '.env.production.enc'], dir)).stdout, `${CANARY}\n`)
    },
  },
  {
    dotenvx: 'dotenvx keypair',
    ours: 'sops-like keygen',
    difference: 'an age identity, appended to `~/.config/sops/age/keys.txt`; its recipient (`age1…`) goes in `.sops-like.yaml`',
    check: async () => {
      const home = join(t.dir, 'home')
      const r = await runCli(['keygen'], { cwd: t.dir, env: isolatedEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config') }) })
      assert.is(r.code, 0, r.stderr)
      assert.match(r.stdout, /^age1[0-9a-z]+$/m)
      assert.match(readFileSync(join(home, '.config', 'sops', 'age', 'keys.txt'), 'utf8'), /^AGE-SECRET-KEY-1/m)
    },
  },
  {
    dotenvx: 'dotenvx genexample',
    ours: 'sops-like example .env.enc -o .env.example',
    difference: 'the same keys with empty values; needs no key',
    check: async () => {
      assert.is((await runCli(['example', '.env.enc', '-o', '.env.example'], { cwd: join(t.dir, 'enc'), env: isolatedEnv() })).code, 0)
      assert.is(readFileSync(join(t.dir, 'enc', '.env.example'), 'utf8'), 'SECRET=\n')
    },
  },
  {
    dotenvx: 'dotenvx protect (was: dotenvx ext precommit --install)',
    ours: 'sops-like git hook install',
    difference: 'the pre-commit hook refuses plaintext, a bad MAC or stale recipients in a covered file; `sops-like git hook uninstall` removes it',
    check: async () => {
      const repo = join(t.dir, 'hookrepo')
      mkdirSync(repo)
      execFileSync('git', ['init', '-q'], { cwd: repo })
      assert.is((await ours(['git', 'hook', 'install'], repo)).code, 0)
      assert.match(readFileSync(join(repo, '.git', 'hooks', 'pre-commit'), 'utf8'), /check --staged/)
      assert.is((await ours(['git', 'hook', 'uninstall'], repo)).code, 0)
      assert.not.ok(existsSync(join(repo, '.git', 'hooks', 'pre-commit')))
    },
  },
]

test.before(async () => {
  k = await makeAgeKey(t.dir)
  // the same values twice: plaintext for dotenvx, encrypted for us
  writeFileSync(join(t.dir, '.env.a'), `X=a\nSECRET=${CANARY}\n`)
  writeFileSync(join(t.dir, '.env.b'), 'X=b\n')
  await writeEncrypted(t.dir, 'a.enc.env', `X=a\nSECRET=${CANARY}\n`, 'dotenv', k.recipient)
  await writeEncrypted(t.dir, 'b.enc.env', 'X=b\n', 'dotenv', k.recipient)
  await writeEncrypted(t.dir, 'tricky.enc.env', `Q=it's $(echo pwned)\n`, 'dotenv', k.recipient)
  await writeEncrypted(t.dir, 'app.enc.yaml', `db:\n  password: ${CANARY}\n`, 'yaml', k.recipient)
})
test.after(() => t.cleanup())

for (const row of ROWS) test(`${row.dotenvx} → ${row.ours}`, row.check)

test('the README\'s "Coming from dotenvx" table lists these rows (when the section exists)', () => {
  const readme = existsSync(README) ? readFileSync(README, 'utf8') : ''
  const at = readme.indexOf('Coming from dotenvx')
  if (at < 0) {
    console.log('  (README has no "Coming from dotenvx" section yet: table check skipped)')
    return
  }
  const section = readme.slice(at, readme.indexOf('\n#', at + 1) >= 0 ? readme.indexOf('\n#', at + 1) : undefined)
  for (const row of ROWS) assert.ok(section.includes(`\`${row.ours}\``), `README row missing: ${row.ours}`)
})

/** The table as markdown (run this file with PRINT_TABLE=1 to print it). */
if (process.env.PRINT_TABLE) {
  const cell = (s: string) => s.replace(/\|/g, '\\|')
  console.log(['| dotenvx | sops-like | difference |', '|---|---|---|', ...ROWS.map((r) => `| \`${cell(r.dotenvx)}\` | \`${cell(r.ours)}\` | ${cell(r.difference)} |`)].join('\n'))
}

test.run()
