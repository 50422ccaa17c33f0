/** `doctor` and `completion` through the CLI: text and JSON reports, exit codes, colours, no secret in any output, completion scripts. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { runCli, isolatedEnv } from '../helpers/cli.js'
import { runGuarded } from '../helpers/canary.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { writeEncrypted } from '../helpers/run.js'
import { CANARY } from '../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey
let repo: string
test.before(async () => {
  t = tempDir('sops-like-cli-doctor-')
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  repo = join(t.dir, 'repo')
  mkdirSync(join(repo, 'secrets'), { recursive: true })
  writeFileSync(join(repo, '.sops-like.yaml'), `creation_rules:\n  - path_regex: secrets/\n    age: ${A.recipient}\n`)
  await writeEncrypted(join(repo, 'secrets'), 'app.enc.yaml', `db:\n    password: ${CANARY}\n`, 'yaml', A.recipient)
})
test.after(() => t.cleanup())

const env = (k?: TestKey, extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ SOPS_GPG_EXEC: join(t.dir, 'no-gpg'), TMPDIR: t.dir, ...(k ? { SOPS_AGE_KEY_FILE: k.file } : {}), ...extra })
const secretOf = (k: TestKey): string => readFileSync(k.file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!

function noSecrets(r: { stdout: string; stderr: string }, keys: TestKey[]): void {
  for (const s of [CANARY, ...keys.map(secretOf)]) {
    assert.not.ok(r.stdout.includes(s), 'secret on stdout')
    assert.not.ok(r.stderr.includes(s), 'secret on stderr')
  }
  assert.not.ok(/AGE-SECRET-KEY-/.test(r.stdout + r.stderr), 'an identity was printed')
}

test('doctor FILE: every step in text, exit 0, no colour without a TTY', async () => {
  const r = await runCli(['doctor', 'secrets/app.enc.yaml'], { cwd: repo, env: env(A) })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.is(r.stderr, '')
  assert.match(r.stdout, /^1\. Config file\n {2}ok {4}.*\.sops-like\.yaml \(1 creation rule\)/)
  assert.match(r.stdout, /2\. Creation rule for secrets\/app\.enc\.yaml\n {2}ok {4}creation_rules\[0\] matches \(path_regex: secrets\/\)/)
  assert.match(r.stdout, /3\. Identities\n/)
  assert.match(r.stdout, /SOPS_AGE_KEY_FILE \(.*a\.txt\): 1 identity/)
  assert.ok(r.stdout.includes(`[1] age ${A.recipient}`))
  assert.ok(r.stdout.includes(`opens age ${A.recipient}`))
  assert.match(r.stdout, /4\. File secrets\/app\.enc\.yaml\n/)
  assert.match(r.stdout, /data key unwrapped\n.*values and MAC verified/)
  assert.match(r.stdout, /Result: ok\n$/)
  assert.not.ok(r.stdout.includes('\x1b['), 'colour without a TTY')
  noSecrets(r, [A])
})

test('doctor --json: the report object, with the same exit code', async () => {
  const ok = await runCli(['doctor', '--json', 'secrets/app.enc.yaml'], { cwd: repo, env: env(A) })
  assert.is(ok.code, 0)
  const rep = JSON.parse(ok.stdout)
  assert.is(rep.ok, true)
  assert.is(rep.exitCode, 0)
  assert.is(rep.rule.index, 0)
  assert.is(rep.file.mac, 'verified')
  assert.equal(rep.identities.found.map((f: { recipient: string }) => f.recipient), [A.recipient])
  const bad = await runCli(['doctor', '--json', 'secrets/app.enc.yaml'], { cwd: repo, env: env(B) })
  assert.is(bad.code, 128)
  const badRep = JSON.parse(bad.stdout)
  assert.is(badRep.exitCode, 128)
  assert.is(badRep.problems[0].code, 'NO_MATCHING_KEY')
  noSecrets(ok, [A])
  noSecrets(bad, [B])
})

test('doctor: no identity opens the file → 128, and the whole report is still printed', async () => {
  const r = await runCli(['doctor', 'secrets/app.enc.yaml'], { cwd: repo, env: env(B) })
  assert.is(r.code, 128)
  assert.ok(r.stdout.includes(`[1] age ${B.recipient}`))
  assert.match(r.stdout, /matches no recipient of the file/)
  assert.ok(r.stdout.includes(`recipient age ${A.recipient}: no identity here opens it`))
  assert.match(r.stdout, /FAIL {2}data key not recovered/)
  assert.match(r.stdout, /Result: FAIL \(exit 128\): no available identity opens secrets\/app\.enc\.yaml\n$/)
  noSecrets(r, [B])
})

test('doctor without FILE: config and identities only; other failures keep their codes', async () => {
  const r = await runCli(['doctor'], { cwd: repo, env: env(A) })
  assert.is(r.code, 0)
  assert.not.match(r.stdout, /Creation rule|File /)
  assert.match(r.stdout, /2\. Identities/)
  assert.is((await runCli(['doctor'], { cwd: repo, env: env() })).code, 128)
  const cfg = await runCli(['doctor', '--config', 'missing.yaml'], { cwd: repo, env: env(A) })
  assert.is(cfg.code, 61)
  assert.match(cfg.stdout, /FAIL {2}config file .*missing\.yaml does not exist/)
  assert.match(cfg.stdout, /Identities/)
  writeFileSync(join(repo, 'plain.yaml'), `a: ${CANARY}\n`)
  const plain = await runCli(['doctor', 'plain.yaml'], { cwd: repo, env: env(A) })
  assert.is(plain.code, 11)
  noSecrets(plain, [A])
  assert.is((await runCli(['doctor', '--input-type', 'xml', 'plain.yaml'], { cwd: repo, env: env(A) })).code, 1)
})

test('doctor: colours only on a TTY, never with NO_COLOR', async () => {
  const run = async (extra: NodeJS.ProcessEnv): Promise<string> => {
    let out = ''
    const io = { stdout: { write: (c: string | Uint8Array) => { out += String(c); return true }, isTTY: true }, stderr: { write: () => true, isTTY: true }, env: env(A, extra), cwd: repo }
    assert.is(await main(['doctor', 'secrets/app.enc.yaml'], io), 0)
    return out
  }
  assert.ok((await run({})).includes('\x1b[32mok\x1b[0m'))
  assert.not.ok((await run({ NO_COLOR: '1' })).includes('\x1b['))
})

test('doctor: the canary value and the private key never reach stdout, stderr or a file', async () => {
  for (const [k, code] of [[A, 0], [B, 128]] as const) {
    for (const args of [['doctor', 'secrets/app.enc.yaml'], ['doctor', '--json', 'secrets/app.enc.yaml']]) {
      const g = await runGuarded(args, { cwd: repo, env: env(k) })
      assert.is(g.code, code)
      assert.equal(g.violations, [])
      const key = await runGuarded(args, { cwd: repo, env: env(k), canary: secretOf(k) })
      assert.equal(key.violations, [])
    }
  }
})

/** Top-level command names as `--help` lists them. */
async function commandNames(): Promise<string[]> {
  const help = (await runCli(['--help'])).stdout
  const section = help.slice(help.indexOf('Commands:'))
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!)
}

test('completion: every command in every shell; bash -n accepts the bash script', async () => {
  const names = await commandNames()
  for (const n of ['encrypt', 'decrypt', 'run', 'git', 'doctor', 'completion']) assert.ok(names.includes(n), n)
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await runCli(['completion', shell])
    assert.is(r.code, 0, r.stderr)
    for (const n of names) assert.ok(new RegExp(`\\b${n}\\b`).test(r.stdout), `${shell}: ${n}`)
    for (const nested of ['setup', 'hook', 'install', '--input-type', '--json', '--in-place']) {
      const form = shell === 'fish' && nested.startsWith('--') ? `-l '${nested.slice(2)}'` : nested // fish: complete … -l json
      assert.ok(r.stdout.includes(form), `${shell}: ${nested}`)
    }
  }
  const bash = (await runCli(['completion', 'bash'])).stdout
  const file = join(t.dir, 'sops-like.bash')
  writeFileSync(file, bash)
  const check = spawnSync('bash', ['-n', file], { encoding: 'utf8' })
  assert.is(check.status, 0, check.stderr)
  for (const shell of ['zsh', 'fish']) {
    const f = join(t.dir, `sops-like.${shell}`)
    writeFileSync(f, (await runCli(['completion', shell])).stdout)
    const r = spawnSync(shell, ['-n', f], { encoding: 'utf8' })
    if (r.error) continue // that shell is not installed here
    assert.is(r.status, 0, r.stderr)
  }
})

test('completion bash: completes commands, subcommands, flags and flag choices', async () => {
  const file = join(t.dir, 'complete.bash')
  writeFileSync(file, (await runCli(['completion', 'bash'])).stdout)
  const complete = (...words: string[]): string[] => {
    const script = `source ${JSON.stringify(file)}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})\nCOMP_CWORD=${words.length - 1}\n_sops_like\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: t.dir })
    assert.is(r.status, 0, r.stderr)
    return r.stdout.split('\n').filter(Boolean)
  }
  assert.ok(complete('sops-like', '').includes('doctor'))
  assert.equal(complete('sops-like', 'doc'), ['doctor'])
  assert.equal(complete('sops-like', 'git', 'hook', ''), ['uninstall', 'install', 'help'])
  assert.equal(complete('sops-like', 'doctor', '--j'), ['--json'])
  assert.equal(complete('sops-like', 'decrypt', '--input-type', 'j'), ['json'])
  assert.equal(complete('sops-like', 'completion', '--h'), ['--help'])
  // the shell names, not file names (issue 19)
  assert.equal(complete('sops-like', 'completion', ''), ['bash', 'zsh', 'fish'])
  assert.equal(complete('sops-like', 'completion', 'f'), ['fish'])
  assert.ok(complete('sops-like', 'decrypt', '-o', 'complete.b').includes('complete.bash'))
})

const fishTest = spawnSync('fish', ['--version'], { stdio: 'ignore' }).error ? test.skip : test

fishTest('completion fish: completes commands, subcommands and flag choices', async () => {
  const file = join(t.dir, 'complete.fish')
  writeFileSync(file, (await runCli(['completion', 'fish'])).stdout)
  const complete = (line: string): string[] => {
    const r = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C ${JSON.stringify(line)}`], { encoding: 'utf8', cwd: t.dir })
    assert.is(r.status, 0, r.stderr)
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!)
  }
  assert.ok(complete('sops-like ').includes('doctor'))
  assert.equal(complete('sops-like git hook ').sort(), ['help', 'install', 'uninstall'])
  assert.equal(complete('sops-like doctor --j'), ['--json'])
  assert.equal(complete('sops-like decrypt --input-type j'), ['json'])
  assert.equal(complete('sops-like completion ').sort(), ['bash', 'fish', 'zsh'])
})

test('completion: an unknown or missing shell is a usage error (exit 1)', async () => {
  const bad = await runCli(['completion', 'powershell'])
  assert.is(bad.code, 1)
  assert.is(bad.stdout, '')
  assert.match(bad.stderr, /^sops-like: .*'powershell' is invalid.*bash, zsh, fish/)
  assert.is((await runCli(['completion'])).code, 1)
})

test.run()
