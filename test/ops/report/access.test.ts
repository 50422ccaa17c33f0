/**
 * `access` against a scripted git repository whose truth is known: a config naming alice,
 * bob and dana (a PGP fingerprint); a file encrypted to alice and bob, then rotated to add
 * carol and remove bob; a 2-of-3 Shamir file (one person per group: nobody reads it alone);
 * a file listing every key kind (AWS/GCP/Azure KMS, Vault, PGP, an SSH age recipient) written
 * by hand (access reads metadata only); a file removed and one added. Every report is checked
 * in all three formats, with no identity present (no SOPS_AGE_KEY_FILE, a HOME with no keys).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { parse } from 'yaml'
import { join } from 'node:path'
import { main } from '../../../src/cli/main.js'
import { accessDiff, accessMatrix, accessWho } from '../../../src/ops/report/access.js'
import { fileAccess, RecipientRegistry, shortKey } from '../../../src/ops/report/access-model.js'
import { printable } from '../../../src/cli/commands/access.render.js'
import type { Metadata } from '../../../src/core/metadata.js'
import { isolatedEnv, runCli } from '../../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'

const t = tempDir('sops-like-access-')
const repo = join(t.dir, 'repo')
let alice: TestKey, bob: TestKey, carol: TestKey
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHpB3Oq5mQx0d5XyX5m7zVbD1T0VCk9aJ3fKpC1w2ZQd'
const ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const GCP = 'projects/p/locations/global/keyRings/ring/cryptoKeys/app'

/** No identity anywhere: no key variables, a HOME without keys, an empty SOPS_AGE_KEY_FILE. */
const NO_KEY = (): NodeJS.ProcessEnv => isolatedEnv({
  HOME: join(t.dir, 'empty-home'), XDG_CONFIG_HOME: join(t.dir, 'empty-home', '.config'), SOPS_AGE_KEY_FILE: '',
  GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com',
})
const WITH = (k: TestKey) => ({ ...NO_KEY(), SOPS_AGE_KEY_FILE: k.file })

const git = (...args: string[]): string => {
  const r = spawnSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: repo, env: NO_KEY(), encoding: 'utf8' })
  assert.is(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
const cli = async (args: string[], env = NO_KEY()) => runCli(args, { cwd: repo, env })
const ok = async (args: string[], env = NO_KEY()) => {
  const r = await cli(args, env)
  assert.is(r.code, 0, `sops-like ${args.join(' ')}: ${r.stderr}`)
  return r
}

/** A sops YAML file written by hand: metadata only matters to access (nothing is decrypted). */
const handMade = (sops: string, body = 'token: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n') =>
  `${body}sops:\n${sops}    lastmodified: "2026-01-02T03:04:05Z"\n    mac: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n    version: 3.9.4\n`

const CLOUD = handMade(`    kms:
        - arn: ${ARN}
          created_at: "2026-01-02T03:04:05Z"
          enc: AQID
          aws_profile: ""
    gcp_kms:
        - resource_id: ${GCP}
          created_at: "2026-01-02T03:04:05Z"
          enc: AQID
    azure_kv:
        - vault_url: https://myvault.vault.azure.net
          name: app
          version: v1
          created_at: "2026-01-02T03:04:05Z"
          enc: AQID
    hc_vault:
        - vault_address: https://vault.example.com:8200
          engine_path: transit
          key_name: app
          created_at: "2026-01-02T03:04:05Z"
          enc: vault:v1:AAAA
    age:
        - recipient: ${SSH}
          enc: x
    pgp:
        - created_at: "2026-01-02T03:04:05Z"
          enc: x
          fp: ${FP}
`)

test.before(async () => {
  mkdirSync(repo)
  ;[alice, bob, carol] = [await makeAgeKey(t.dir, 'alice'), await makeAgeKey(t.dir, 'bob'), await makeAgeKey(t.dir, 'carol')]
  git('init', '-q', '-b', 'main')
  writeFileSync(join(repo, '.sops-like.yaml'), `recipients:
  alice: ${alice.recipient}
  bob: ${bob.recipient}
  dana: ${FP}
creation_rules:
  - path_regex: shamir
    shamir_threshold: 2
    key_groups:
      - age: [alice]
      - age: [bob]
      - age: [${carol.recipient}]
  - path_regex: only-alice
    age: alice
  - path_regex: \\.enc\\.
    age: alice,bob
`)
  writeFileSync(join(repo, 'app.enc.yaml'), 'db:\n    password: one\n    port: 5432\n')
  writeFileSync(join(repo, 'shamir.enc.json'), '{"root": "two"}\n')
  writeFileSync(join(repo, 'old-only-alice.enc.yaml'), 'x: 1\n')
  for (const f of ['app.enc.yaml', 'shamir.enc.json', 'old-only-alice.enc.yaml']) await ok(['encrypt', '-i', f])
  writeFileSync(join(repo, 'cloud.enc.yaml'), CLOUD)
  git('add', '-A')
  git('commit', '-q', '-m', 'first')
  // carol joins app.enc.yaml and bob leaves it; one file goes, one comes
  await ok(['rotate', 'app.enc.yaml', '--add-age', carol.recipient, '--rm-age', bob.recipient, '--keep-unlisted'], WITH(alice))
  rmSync(join(repo, 'old-only-alice.enc.yaml'))
  writeFileSync(join(repo, 'new-only-alice.enc.yaml'), 'y: 2\n')
  await ok(['encrypt', '-i', 'new-only-alice.enc.yaml'])
  git('add', '-A')
  git('commit', '-q', '-m', 'second')
})
test.after(() => t.cleanup())

const CAROL = () => `age:${carol.recipient}`

test('the matrix: readers per file by name, every key kind, Shamir 2-of-3 read by nobody alone (no identity present)', async () => {
  const r = await accessMatrix([], { cwd: repo, env: NO_KEY() })
  assert.is(r.version, 1)
  assert.is(r.kind, 'access')
  assert.equal(r.failures, [])
  const by = Object.fromEntries(r.files.map((f) => [f.path, f]))
  assert.equal(Object.keys(by), ['app.enc.yaml', 'cloud.enc.yaml', 'new-only-alice.enc.yaml', 'shamir.enc.json'])
  assert.equal(by['app.enc.yaml']!.readers, ['alice', CAROL()])
  assert.equal(by['app.enc.yaml']!.partial, [])
  assert.is(by['app.enc.yaml']!.threshold, 1)
  assert.equal(by['new-only-alice.enc.yaml']!.readers, ['alice'])
  const sh = by['shamir.enc.json']!
  assert.is(sh.threshold, 2)
  assert.is(sh.groups.length, 3)
  assert.equal(sh.readers, [], 'a 2-of-3 file with one person per group: nobody reads it alone')
  assert.equal(sh.partial, [{ recipient: 'alice', groups: 1 }, { recipient: 'bob', groups: 1 }, { recipient: CAROL(), groups: 1 }])
  const cloud = by['cloud.enc.yaml']!
  assert.equal(cloud.groups[0]!.map((k) => `${k.type}/${k.kind}`), ['age/ssh', 'azure_kv/azure_kv', 'gcp_kms/gcp_kms', 'hc_vault/hc_vault', 'kms/kms', 'pgp/pgp'])
  assert.equal(cloud.groups[0]!.map((k) => k.id), [SSH, 'https://myvault.vault.azure.net/keys/app/v1', GCP, 'https://vault.example.com:8200/v1/transit/keys/app', ARN, FP])
  assert.ok(cloud.readers.includes('dana'), 'the PGP fingerprint carries the config name')
  assert.is(cloud.readers.length, 6)
  const labels = Object.fromEntries(r.recipients.map((x) => [x.id, x.label]))
  assert.is(labels.dana, 'dana')
  assert.is(labels[`kms:${ARN}`], 'kms:key/1234abcd-1…7890ab')
  assert.is(labels[`gcp_kms:${GCP}`], 'gcp:ring/app')
  assert.is(labels['azure_kv:https://myvault.vault.azure.net/keys/app/v1'], 'azure:myvault/app')
  assert.is(labels['hc_vault:https://vault.example.com:8200/v1/transit/keys/app'], 'vault:vault.example.com/app')
  assert.is(labels[`age:${SSH}`], 'ssh-ed25519 …XyX5m7zVbD1T0VCk9aJ3fKpC1w2ZQd'.replace(/….*/, '…' + SSH.slice(-8)))
  assert.equal(r.recipients.slice(0, 3).map((x) => x.id), ['alice', 'bob', 'dana'], 'named recipients first')
})

test('--values lists value names (never values) per file', async () => {
  const r = await accessMatrix(['app.enc.yaml'], { cwd: repo, env: NO_KEY(), values: true })
  assert.equal(r.files[0]!.values, ['db.password', 'db.port'])
  assert.not.match(JSON.stringify(r), /"one"|5432/)
})

test('the matrix as a table, Markdown and JSON tells the same truth', async () => {
  const table = (await ok(['access', 'app.enc.yaml', 'shamir.enc.json'])).stdout
  const rows = table.split('\n')
  assert.match(rows[0]!, /^FILE\s+GROUPS\s+alice\s+bob\s+age1\S+…\S+$/)
  assert.match(rows[1]!, /^app\.enc\.yaml\s+1\s+✓\s+·\s+✓$/)
  assert.match(rows[2]!, /^shamir\.enc\.json\s+2 of 3\s+1\/2\s+1\/2\s+1\/2$/)
  assert.ok(rows[1]!.indexOf('✓') === rows[0]!.indexOf('alice'), 'columns are aligned')
  assert.match(table, /Nobody can decrypt these alone[^\n]*\n {2}shamir\.enc\.json {2}\(2 of 3 key groups\)/)
  assert.not.match(table, /\x1b/, 'no colour off a TTY')
  const md = (await ok(['access', '--format', 'markdown', 'app.enc.yaml', 'shamir.enc.json'])).stdout
  assert.match(md, /^\| File \| Key groups needed \| `alice` \| `bob` \| `age1\S+` \|\n\| --- \| --- \| :-: \| :-: \| :-: \|\n/)
  assert.match(md, /\n\| `app\.enc\.yaml` \| 1 \| ✓ \| {3}\| ✓ \|\n/)
  assert.match(md, /\n\| `shamir\.enc\.json` \| 2 of 3 \| 1\/2 \| 1\/2 \| 1\/2 \|\n/)
  assert.match(md, /\*\*Nobody can decrypt these alone\*\*[^\n]*\n\n- `shamir\.enc\.json` \(2 of 3 key groups\)/)
  const json = JSON.parse((await ok(['access', '--format', 'json', 'app.enc.yaml', 'shamir.enc.json'])).stdout)
  assert.equal(json, JSON.parse(JSON.stringify(await accessMatrix(['app.enc.yaml', 'shamir.enc.json'], { cwd: repo, env: NO_KEY() }))))
  assert.equal(Object.keys(json), ['version', 'kind', 'recipients', 'files', 'failures'])
  assert.equal(Object.keys(json.files[0]), ['path', 'groups', 'threshold', 'readers', 'partial', 'lastmodified'])
})

test('colour only on a TTY without NO_COLOR', async () => {
  const run = async (isTTY: boolean, env: NodeJS.ProcessEnv) => {
    const out: string[] = []
    const code = await main(['access', 'app.enc.yaml'], { stdout: { write: (c) => { out.push(String(c)) }, isTTY }, stderr: { write: () => true }, env, cwd: repo })
    assert.is(code, 0)
    return out.join('')
  }
  assert.match(await run(true, NO_KEY()), /\x1b\[32m✓/)
  assert.not.match(await run(true, { ...NO_KEY(), NO_COLOR: '1' }), /\x1b/)
  assert.not.match(await run(false, NO_KEY()), /\x1b/)
})

test('--who: what one person reads alone, where they hold only a share, a name defined but unused, a typo', async () => {
  const a = await accessWho('alice', [], { cwd: repo, env: NO_KEY(), values: true })
  assert.equal(a.files.map((f) => [f.path, f.access, f.groups, f.threshold]), [['app.enc.yaml', 'read', 1, 1], ['new-only-alice.enc.yaml', 'read', 1, 1], ['shamir.enc.json', 'share', 1, 2]])
  assert.equal(a.files[0]!.values, ['db.password', 'db.port'])
  const b = await accessWho(bob.recipient, [], { cwd: repo, env: NO_KEY() })
  assert.is(b.recipient.name, 'bob', 'a key finds its name')
  assert.equal(b.files.map((f) => [f.path, f.access]), [['shamir.enc.json', 'share']], 'bob left app.enc.yaml')
  const c = await accessWho(carol.recipient.slice(0, 10) + '…' + carol.recipient.slice(-6), [], { cwd: repo, env: NO_KEY() })
  assert.equal(c.files.map((f) => f.path), ['app.enc.yaml', 'shamir.enc.json'], 'the label the table shows works')
  const kms = await accessWho(ARN, [], { cwd: repo, env: NO_KEY() })
  assert.equal(kms.files.map((f) => f.path), ['cloud.enc.yaml'])
  const nobody = await accessWho('age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq', [], { cwd: repo, env: NO_KEY() })
  assert.equal(nobody.files, [])
  const text = (await ok(['access', '--who', 'alice'])).stdout
  assert.match(text, /^alice \(age age1\S+\)\ncan decrypt alone \(2 files\):\n {2}app\.enc\.yaml\n {2}new-only-alice\.enc\.yaml\nholds a share only, cannot decrypt alone \(1 file\):\n {2}shamir\.enc\.json {2}keys in 1 of the 2 key groups needed\n$/)
  const md = (await ok(['access', '--who', 'bob', '--format', 'markdown'])).stdout
  assert.match(md, /\| `shamir\.enc\.json` \| share only: 1 of 2 key groups \|/)
  const json = JSON.parse((await ok(['access', '--who', 'bob', '--json'])).stdout)
  assert.equal([json.version, json.kind, json.query, json.recipient.id, json.files], [1, 'access-who', 'bob', 'bob', [{ path: 'shamir.enc.json', access: 'share', groups: 1, threshold: 2 }]])
  const typo = await cli(['access', '--who', 'alcie'])
  assert.is(typo.code, 30)
  assert.match(typo.stderr, /--who alcie: not a name under recipients:/)
})

test('--diff REV: a reader added and one removed, a file added and one removed, unchanged files counted (all formats)', async () => {
  const d = await accessDiff('HEAD~1', [], { cwd: repo, env: NO_KEY() })
  assert.is(d.kind, 'access-diff')
  assert.is(d.base, 'HEAD~1')
  assert.match(d.baseCommit, /^[0-9a-f]{40}$/)
  assert.is(d.unchanged, 2)
  assert.equal(d.changes.map((c) => [c.path, c.status, c.readersAdded, c.readersRemoved]), [
    ['app.enc.yaml', 'changed', [CAROL()], ['bob']],
    ['new-only-alice.enc.yaml', 'added', ['alice'], []],
    ['old-only-alice.enc.yaml', 'removed', [], ['alice']],
  ])
  const app = d.changes[0]!
  assert.equal(app.keysAdded.map((k) => [k.group, k.id, k.recipient]), [[0, carol.recipient, CAROL()]])
  assert.equal(app.keysRemoved.map((k) => [k.group, k.id, k.recipient]), [[0, bob.recipient, 'bob']])
  assert.equal([app.before, app.after], [{ groups: 1, threshold: 1 }, { groups: 1, threshold: 1 }])
  const text = (await ok(['access', '--diff', 'HEAD~1'])).stdout
  assert.match(text, /^Access changes since HEAD~1 \([0-9a-f]{12}\):\nchanged  app\.enc\.yaml\n {2}\+ can decrypt: age1\S+\n {2}- can no longer decrypt: bob\n/)
  assert.match(text, /\nadded {4}new-only-alice\.enc\.yaml\n {2}\+ can decrypt: alice\nremoved {2}old-only-alice\.enc\.yaml\n {2}- could decrypt: alice\n2 files unchanged\.\n$/)
  const md = (await ok(['access', '--diff', 'HEAD~1', '--format', 'markdown'])).stdout
  assert.match(md, /^### Access changes since `HEAD~1` \([0-9a-f]{12}\)\n\n\| File \| Change \|/)
  assert.match(md, /\n\| `app\.enc\.yaml` \| changed \| `age1\S+` \| `bob` \| {2}\| 1 of 1 \|\n/)
  assert.match(md, /\n\| `old-only-alice\.enc\.yaml` \| removed \| {2}\| `alice` \|/)
  assert.match(md, /<summary>Keys added and removed<\/summary>[\s\S]*\| `app\.enc\.yaml` \| 0 \| \+ \| age `age1\S+` \| `age1\S+` \|\n\| `app\.enc\.yaml` \| 0 \| − \| age `age1\S+` \| `bob` \|/)
  assert.match(md, /\n2 files unchanged\.\n$/)
  const json = JSON.parse((await ok(['access', '--diff', 'HEAD~1', '--json'])).stdout)
  assert.equal(json, JSON.parse(JSON.stringify(d)))
  const none = (await ok(['access', '--diff', 'HEAD'])).stdout
  assert.match(none, /^Access changes since HEAD \([0-9a-f]{12}\):\n {2}none \(4 files unchanged\)\n$/)
  // named files only
  const one = await accessDiff('HEAD~1', ['old-only-alice.enc.yaml', 'shamir.enc.json'], { cwd: repo, env: NO_KEY() })
  assert.equal(one.changes.map((c) => [c.path, c.status]), [['old-only-alice.enc.yaml', 'removed']])
  assert.is(one.unchanged, 1)
})

test('a --diff revision shaped like a git option (--output=FILE) is refused before git sees it', async () => {
  const target = join(t.dir, 'written-by-git')
  for (const rev of [`--output=${target}`, '-p', 'HEAD\n--output=x']) {
    const r = await cli(['access', `--diff=${rev}`])
    assert.is(r.code, 1)
    assert.match(r.stderr, /--diff takes a git revision/)
  }
  assert.not.ok(existsSync(target))
  const missing = await cli(['access', '--diff', 'no-such-branch'])
  assert.is(missing.code, 1)
  assert.match(missing.stderr, /git cannot find the revision given to --diff: fetch it first/)
})

test('a named file that is not encrypted is reported (exit 11) after the others; files and --all together are refused', async () => {
  writeFileSync(join(repo, 'plain.yaml'), 'a: 1\n')
  try {
    const r = await cli(['access', 'app.enc.yaml', 'plain.yaml', '--json'])
    assert.is(r.code, 11)
    const json = JSON.parse(r.stdout)
    assert.equal(json.files.map((f: { path: string }) => f.path), ['app.enc.yaml'])
    assert.equal(json.failures.map((f: { path: string; code: string }) => [f.path, f.code]), [['plain.yaml', 'NOT_ENCRYPTED']])
    assert.match(r.stderr, /^sops-like: plain\.yaml: /)
    const both = await cli(['access', '--all', 'app.enc.yaml'])
    assert.is(both.code, 8)
  } finally {
    rmSync(join(repo, 'plain.yaml'))
  }
})

const ESC_RECIPIENT = 'ssh-ed25519 AAAA\u001b]0;owned\u0007\u001b[2J\u001b[31mRED\r\n| forged | row |\u202e`<img src=x>`@team'

test('terminal escape injection: a recipient holding ESC sequences, CR/LF, a bidi override and Markdown is shown escaped in table and Markdown', async () => {
  const dir = join(t.dir, 'evil')
  mkdirSync(dir)
  const yamlStr = JSON.stringify(ESC_RECIPIENT) // a YAML double-quoted scalar with \u escapes
  const name = 'evil\u001b[2J|`.enc.yaml'
  writeFileSync(join(dir, name), handMade(`    age:\n        - recipient: ${yamlStr}\n          enc: x\n`))
  const env = NO_KEY()
  for (const format of ['table', 'markdown']) {
    const r = await runCli(['access', '--format', format, '--values'], { cwd: dir, env })
    assert.is(r.code, 0, r.stderr)
    assert.not.match(r.stdout, /[\u0000-\u0009\u000b-\u001f\u007f\u202e]/, `${format}: no raw control or bidi character`)
    assert.match(r.stdout, /\\x1b\]0;owned\\x07\\x1b\[2J/, `${format}: the sequence is shown, escaped`)
    const lines = r.stdout.split('\n')
    assert.ok(!lines.some((l) => /^\| forged/.test(l) || /^.{0,3}forged/.test(l)), `${format}: the newline did not start a row`)
    if (format === 'markdown') {
      for (const l of lines.filter((x) => x.startsWith('|'))) assert.ok(l.endsWith('|'), l)
      assert.match(r.stdout, /\\\| forged \\\| row \\\|/)
      const outside = lines.flatMap((l) => l.split('`').filter((_x, i) => i % 2 === 0)).join('\n')
      assert.not.match(outside, /<img|@team|forged/, 'HTML, mentions and the forged row stay inside code spans')
      assert.match(r.stdout, /`evil\\x1b\[2J\\\|\\x60\.enc\.yaml`/)
    }
  }
  const who = await runCli(['access', '--who', ESC_RECIPIENT], { cwd: dir, env })
  assert.is(who.code, 0, who.stderr)
  assert.not.match(who.stdout, /[\u0000-\u0009\u000b-\u001f\u202e]/)
  const json = JSON.parse((await runCli(['access', '--json'], { cwd: dir, env })).stdout)
  assert.is(json.files[0].groups[0][0].id, ESC_RECIPIENT, 'JSON keeps the string (JSON escapes it)')
})

test('sizes are bounded: a 100 KB recipient string is cut in JSON and on screen', async () => {
  const dir = join(t.dir, 'huge')
  mkdirSync(dir)
  writeFileSync(join(dir, 'x.enc.yaml'), handMade(`    age:\n        - recipient: age1${'q'.repeat(100_000)}\n          enc: x\n`))
  const json = JSON.parse((await runCli(['access', '--json'], { cwd: dir, env: NO_KEY() })).stdout)
  assert.is([...json.files[0].groups[0][0].id].length, 512)
  const table = (await runCli(['access'], { cwd: dir, env: NO_KEY() })).stdout
  assert.ok(table.split('\n').every((l) => l.length < 300), 'every line is short')
})

test('printable: controls, DEL, C1, bidi and zero-width characters become escapes; backslashes are doubled', () => {
  assert.is(printable('a\u001b[1mb\r\n\u007f\u0085\u202e\u200bc\\d'), 'a\\x1b[1mb\\x0d\\x0a\\x7f\\x85\\u{202e}\\u{200b}c\\\\d')
  assert.is(printable('x'.repeat(10), 5), 'xxxx…')
})

test('fileAccess: a name with keys in two of three groups reads a 2-of-3 file alone; one group is never split', () => {
  const e = (id: string) => ({ type: 'age', fields: { recipient: id, enc: 'x' } })
  const md = (groups: string[][], t?: number): Metadata => ({ keyGroups: groups.map((g) => g.map(e)), ...(t ? { shamirThreshold: t } : {}), lastmodified: '2026-01-01T00:00:00Z', mac: '', version: '3.9.0', selectors: {}, extra: [] })
  const names = (k: { id: string }) => ({ K1: 'ann', K2: 'ann', K3: 'ben' } as Record<string, string>)[k.id]
  const reg = new RecipientRegistry()
  const two = fileAccess('f', md([['K1'], ['K3'], ['K2']], 2), names, reg)
  assert.equal([two.readers, two.partial], [['ann'], [{ recipient: 'ben', groups: 1 }]])
  const all = fileAccess('g', md([['K1'], ['K3'], ['K2']]), names, reg)
  assert.equal([all.threshold, all.readers], [3, []], 'no threshold: every group is needed')
  const one = fileAccess('h', md([['K1', 'K3']], 2), names, reg)
  assert.equal([one.threshold, one.readers], [1, ['ann', 'ben']], 'a threshold on one group does not split it')
  assert.is(shortKey('pgp', FP), FP.slice(-16))
})

test('docs/access.md documents every field the three JSON reports have', async () => {
  const doc = readFileSync(new URL('../../../docs/access.md', import.meta.url), 'utf8')
  const documented = new Set([...doc.matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1]!))
  const seen = new Set<string>()
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return }
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { seen.add(k); walk(x) }
  }
  walk(await accessMatrix([], { cwd: repo, env: NO_KEY(), values: true }))
  walk(await accessWho('alice', [], { cwd: repo, env: NO_KEY(), values: true }))
  walk(await accessDiff('HEAD~1', [], { cwd: repo, env: NO_KEY(), values: true }))
  walk({ path: '', message: '', code: '', exitCode: 1 }) // a Failure
  assert.equal([...seen].filter((k) => !documented.has(k)), [])
  assert.match(doc, /^# .*\(version 1\)$/m)
})

test('examples/ci/secrets-review.yml: check, access --diff origin/<base> --format markdown posted on the PR, age-report --older-than 90d', () => {
  const text = readFileSync(new URL('../../../examples/ci/secrets-review.yml', import.meta.url), 'utf8')
  const wf = parse(text) as { jobs: Record<string, { steps: Array<{ run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> }> }> }
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps)
  const runs = steps.map((s) => s.run ?? '').join('\n')
  assert.match(runs, /^sops-like check$/m)
  assert.match(runs, /^sops-like access --diff "origin\/\$BASE" --format markdown > access\.md$/m)
  assert.match(runs, /^sops-like age-report --all --older-than 90d$/m)
  assert.ok(steps.some((s) => s.uses?.startsWith('actions/checkout') && s.with?.['fetch-depth'] === 0), 'full history for --diff and age-report')
  assert.ok(steps.some((s) => s.uses?.startsWith('actions/github-script') && /createComment/.test(String(s.with?.script))), 'the report is posted as a PR comment')
  assert.not.match(runs, /\$\{\{/, 'no ${{ }} expression inside a shell script (injection): values go through env')
  assert.not.match(text, /secrets\./, 'the review needs no key')
})

test.run()
