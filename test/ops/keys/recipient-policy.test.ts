/**
 * The injected-recipient attack: someone with write access but no key appends their own
 * age entry to a file's metadata. `offboard`, `rotate`, `set`, `unset` and `edit` must
 * refuse (exit 31, nothing written, the intruder can decrypt nothing) unless
 * `--keep-unlisted`; `updatekeys` drops them; files with no rule keep working with a
 * warning. Through the library and the CLI (in-process main, and one spawned process).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { openBytes, parseEncrypted } from '../../../src/ops/crypt/decrypt.js'
import { emitWithMetadata, rotateFile, rotateFiles } from '../../../src/ops/keys/rotate.js'
import { offboard } from '../../../src/ops/keys/offboard.js'
import { parseSetValue, setValue, unsetValue } from '../../../src/ops/edit/set.js'
import { editFile } from '../../../src/ops/edit/edit.js'
import { updateKeys } from '../../../src/ops/keys/updatekeys.js'
import { checkFileRecipients, checkRecipientsAgainstRule, unlistedRecipients } from '../../../src/ops/keys/recipient-policy.js'
import { loadFormat } from '../../../src/formats/index.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import type { KeyEntry } from '../../../src/keys/key-source.js'
import { runCli, spawnCli, isolatedEnv } from '../../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY } from '../../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey, C: TestKey, M: TestKey
let rt: string
test.before(async () => {
  t = tempDir()
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  C = await makeAgeKey(t.dir, 'c')
  M = await makeAgeKey(t.dir, 'mallory')
  rt = join(t.dir, 'runtime')
  mkdirSync(rt, { mode: 0o700 })
})
test.after(() => t.cleanup())

const env = (k?: TestKey, extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ XDG_RUNTIME_DIR: rt, GIT_CONFIG_NOSYSTEM: '1', ...(k ? { SOPS_AGE_KEY_FILE: k.file } : {}), ...extra })
const PLAIN = `{"db": {"password": "${CANARY}"}, "token": "t0k"}\n`
const FILE = 'secrets/app.json'
let n = 0

/** A repository whose rule lists `listed`, with secrets/app.json encrypted to `to`. */
async function repo(listed: TestKey[], to: TestKey[] = listed, rule?: string): Promise<string> {
  const dir = join(t.dir, `repo${n++}`)
  mkdirSync(join(dir, 'secrets'), { recursive: true })
  if (rule !== '') writeFileSync(join(dir, '.sops-like.yaml'), rule ?? `creation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: ${listed.map((k) => k.recipient).join(',')}\n`)
  writeFileSync(join(dir, FILE), await encryptBytes(Buffer.from(PLAIN), { inputFormat: 'json', groups: [to.map((k) => createAgeRecipient(k.recipient))] }))
  return dir
}

/** The attacker's edit: no key needed, just an age entry of their own (wrapping a key they made up) appended to a group. */
async function inject(path: string, who: TestKey, group = 0): Promise<Buffer> {
  const format = await loadFormat('json')
  const { tree, metadata } = await parseEncrypted(readFileSync(path), 'json')
  const entry = await createAgeRecipient(who.recipient).wrap(randomBytes(32))
  metadata.keyGroups[group]!.push(entry)
  writeFileSync(path, await emitWithMetadata(tree, metadata, format))
  return readFileSync(path)
}

const recipientsOf = async (path: string) => (await parseEncrypted(readFileSync(path), 'json')).metadata.keyGroups.map((g) => g.map((e) => e.fields.recipient))
/** The intruder opens nothing: no entry gives them the data key that protects the values. */
async function intruderLockedOut(path: string): Promise<void> {
  try {
    await openBytes(readFileSync(path), { inputFormat: 'json', env: env(M) })
    assert.unreachable('the injected recipient decrypted the file')
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode
    assert.ok(code === 128 || code === 51 || code === 25, `unexpected exit ${code}`)
  }
}
const code = (e: unknown) => (e as { exitCode?: number }).exitCode

// ---- the attack, through the library ----

test('injected recipient: offboard <leaver> refuses the file (31), writes nothing to it, the intruder gets no key', async () => {
  const dir = await repo([A, B])
  const before = await inject(join(dir, FILE), M)
  const r = await offboard(B.recipient, { cwd: dir, env: env(A) })
  assert.is(r.exitCode, 31)
  assert.equal(r.failures.map((f) => [f.path, f.code]), [[FILE, 'UNLISTED_RECIPIENT']])
  const msg = r.failures[0]!.message
  assert.ok(msg.includes(M.recipient), msg)
  assert.ok(msg.includes('--keep-unlisted') && msg.includes('updatekeys'), msg)
  assert.not.ok(msg.includes('\n'))
  assert.ok(readFileSync(join(dir, FILE)).equals(before), 'the file changed')
  await intruderLockedOut(join(dir, FILE))
})

test('injected recipient: rotate, set, unset and edit refuse (31); bytes unchanged; the editor never opens', async () => {
  const dir = await repo([A, B])
  const p = join(dir, FILE)
  const before = await inject(p, M)
  for (const run of [
    () => rotateFile(FILE, { cwd: dir, env: env(A) }),
    () => rotateFile(FILE, { cwd: dir, env: env(A), dryRun: true }),
    () => rotateFile(FILE, { cwd: dir, env: env(A, { SOPS_AGE_RECIPIENTS: M.recipient }) }), // the environment does not list anyone
    async () => setValue(FILE, '["token"]', await parseSetValue('"new"'), { cwd: dir, env: env(A) }),
    () => unsetValue(FILE, '["token"]', { cwd: dir, env: env(A) }),
    () => editFile(FILE, { cwd: dir, env: env(A), editor: ['sh', '-c', 'touch "$0.opened"; echo "{}" > "$0"', join(dir, 'marker')] }),
  ]) {
    try { await run(); assert.unreachable('not refused') } catch (e) { assert.is(code(e), 31, String(e)) }
    assert.ok(readFileSync(p).equals(before), 'the file changed')
  }
  assert.not.ok(existsSync(join(dir, 'marker.opened')), 'the editor ran')
  const batch = await rotateFiles([FILE], { cwd: dir, env: env(A) })
  assert.is(batch.exitCode, 31)
  await intruderLockedOut(p)
})

test('injected recipient: --keep-unlisted proceeds, warns, and reports the final recipients (the intruder included)', async () => {
  const dir = await repo([A, B])
  const p = join(dir, FILE)
  await inject(p, M)
  const r = await rotateFile(FILE, { cwd: dir, env: env(A), keepUnlisted: true })
  assert.is(r.outcome, 'rotated')
  assert.equal(r.recipients?.map((g) => g.map((x) => x.id)), [[A.recipient, B.recipient, M.recipient]])
  assert.ok(r.warnings.some((w) => w.includes('--keep-unlisted') && w.includes(M.recipient)), r.warnings.join('|'))
  // the user kept them knowingly: now they do hold the new key
  assert.ok(JSON.stringify((await openBytes(readFileSync(p), { inputFormat: 'json', env: env(M) })).tree).includes(CANARY))
  const off = await offboard(B.recipient, { cwd: dir, env: env(A), keepUnlisted: true })
  assert.is(off.exitCode, 0)
  assert.equal(off.results[0]!.recipients?.map((g) => g.map((x) => x.id)), [[A.recipient, M.recipient]])
  const s = await setValue(FILE, '["token"]', await parseSetValue('"x"'), { cwd: dir, env: env(A), keepUnlisted: true })
  assert.ok(s.written)
})

test('injected recipient: updatekeys drops it and rotates, so the intruder never holds the data key', async () => {
  const dir = await repo([A, B])
  const p = join(dir, FILE)
  await inject(p, M)
  const oldKey = (await openBytes(readFileSync(p), { inputFormat: 'json', env: env(A) })).dataKey
  const r = await updateKeys([FILE], { cwd: dir, env: env(A) })
  assert.is(r.exitCode, 0)
  assert.is(r.reports[0]!.outcome, 'rotated')
  assert.equal(r.reports[0]!.diff?.groups[0]?.removed.map((x) => x.id), [M.recipient])
  assert.equal(await recipientsOf(p), [[A.recipient, B.recipient]])
  assert.not.equal(Buffer.from((await openBytes(readFileSync(p), { inputFormat: 'json', env: env(A) })).dataKey), Buffer.from(oldKey))
  await intruderLockedOut(p)
  // clean again: every command works without the flag
  assert.is((await rotateFile(FILE, { cwd: dir, env: env(A) })).outcome, 'rotated')
})

test('rotate: --rm-age of the intruder and --add-age of a newcomer are asked for, not unlisted', async () => {
  const dir = await repo([A, B])
  const p = join(dir, FILE)
  await inject(p, M)
  const r = await rotateFile(FILE, { cwd: dir, env: env(A), rmAge: [M.recipient], addAge: [C.recipient] })
  assert.is(r.outcome, 'rotated')
  assert.equal(r.warnings, [])
  assert.equal(await recipientsOf(p), [[A.recipient, B.recipient, C.recipient]])
  await intruderLockedOut(p)
  // next time C is unlisted (the rule does not name them): said, not silently wrapped
  try { await rotateFile(FILE, { cwd: dir, env: env(A) }); assert.unreachable() } catch (e) { assert.is(code(e), 31) }
})

test('key groups: a recipient injected into group 1 is refused; listed in any group of the rule counts as listed', async () => {
  const rule = `creation_rules:\n  - path_regex: secrets/.*\\.json$\n    key_groups:\n      - age: [${A.recipient}]\n      - age: [${B.recipient}]\n`
  const dir = join(t.dir, `groups${n++}`)
  mkdirSync(join(dir, 'secrets'), { recursive: true })
  writeFileSync(join(dir, '.sops-like.yaml'), rule)
  const p = join(dir, FILE)
  writeFileSync(p, await encryptBytes(Buffer.from(PLAIN), { inputFormat: 'json', groups: [[createAgeRecipient(A.recipient)], [createAgeRecipient(B.recipient)]] }))
  const ok = await rotateFile(FILE, { cwd: dir, env: env(A), ageKeys: [B.identity] })
  assert.is(ok.outcome, 'rotated')
  const before = await inject(p, M, 1)
  try { await rotateFile(FILE, { cwd: dir, env: env(A), ageKeys: [B.identity] }); assert.unreachable() } catch (e) { assert.is(code(e), 31) }
  assert.ok(readFileSync(p).equals(before))
  // A (listed in group 0 of the rule) also in group 1 of the file: listed
  assert.equal(unlistedRecipients([[{ type: 'age', id: A.recipient }], [{ type: 'age', id: A.recipient }]], [[{ type: 'age', id: A.recipient }], [{ type: 'age', id: B.recipient }]]), [])
})

test('age_recipients_file: recipients from the rule\'s file count as listed; others do not', async () => {
  const dir = join(t.dir, `arf${n++}`)
  mkdirSync(join(dir, 'secrets'), { recursive: true })
  writeFileSync(join(dir, 'team.txt'), `# team\n${B.recipient}\n`)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: ${A.recipient}\n    age_recipients_file: team.txt\n`)
  const p = join(dir, FILE)
  writeFileSync(p, await encryptBytes(Buffer.from(PLAIN), { inputFormat: 'json', groups: [[createAgeRecipient(A.recipient), createAgeRecipient(B.recipient)]] }))
  assert.is((await rotateFile(FILE, { cwd: dir, env: env(A) })).outcome, 'rotated')
  await inject(p, M)
  try { await rotateFile(FILE, { cwd: dir, env: env(A) }); assert.unreachable() } catch (e) { assert.is(code(e), 31) }
})

test('PGP: full fingerprints compared case- and space-insensitively; a short key id in the rule does not vouch for a fingerprint', async () => {
  const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
  const spaced = FP.toLowerCase().replace(/(.{4})/g, '$1 ').trim()
  const dir = join(t.dir, `pgp${n++}`)
  mkdirSync(join(dir, 'secrets'), { recursive: true })
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.json$\n    pgp: "${spaced}"\n    age: ${A.recipient}\n`)
  const entry = (fp: string): KeyEntry => ({ type: 'pgp', fields: { fp, enc: 'x', created_at: '' } })
  const age: KeyEntry = { type: 'age', fields: { recipient: A.recipient, enc: 'x' } }
  const abs = join(dir, FILE)
  const ok = await checkFileRecipients(FILE, abs, [[entry(FP.toLowerCase()), age]], { cwd: dir, env: env() })
  assert.is(ok.verdict, 'listed')
  const other = 'A'.repeat(24) + FP.slice(24)
  try { await checkFileRecipients(FILE, abs, [[entry(other), age]], { cwd: dir, env: env() }); assert.unreachable() } catch (e) { assert.is(code(e), 31); assert.ok(String((e as Error).message).includes(other)) }
  const short = { groups: [[{ type: 'pgp', id: FP.slice(24) }]], where: 'rule' }
  assert.throws(() => checkRecipientsAgainstRule(FILE, [[{ type: 'pgp', id: FP }]], short), (e: unknown) => code(e) === 31 && /by short key id only: write the full fingerprint/.test(String((e as Error).message)))
})

test('no rule: rotate keeps today\'s behaviour with one warning; set stays silent without any config and warns when no rule matches', async () => {
  const dir = await repo([A], [A, M], '')
  const r = await rotateFile(FILE, { cwd: dir, env: env(A) })
  assert.is(r.outcome, 'rotated')
  assert.is(r.warnings.length, 1)
  assert.match(r.warnings[0]!, /recipients not checked against a creation rule \(no \.sops-like\.yaml or \.sops\.yaml found\)/)
  const notes: string[] = []
  await setValue(FILE, '["token"]', await parseSetValue('"x"'), { cwd: dir, env: env(A), onNote: (l) => notes.push(l) })
  assert.equal(notes, [])
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: other/.*\n    age: ${A.recipient}\n`)
  await setValue(FILE, '["token"]', await parseSetValue('"y"'), { cwd: dir, env: env(A), onNote: (l) => notes.push(l) })
  assert.is(notes.length, 1)
  assert.match(notes[0]!, /^warning: secrets\/app\.json: recipients not checked against a creation rule \(no creation rule in .* matches secrets\/app\.json\)$/)
})

test('a recipient the rule lists with an SSH comment matches the same key without it', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN'
  assert.equal(unlistedRecipients([[{ type: 'age', id: key }]], [[{ type: 'age', id: `${key} alice@laptop` }]]), [])
  assert.equal(unlistedRecipients([[{ type: 'age', id: key.slice(0, -2) + 'xx' }]], [[{ type: 'age', id: `${key} alice@laptop` }]]).length, 1)
})

// ---- the attack, through the CLI ----

test('CLI injected recipient: offboard, rotate, set, unset, edit exit 31 with one line naming the intruder; nothing changes', async () => {
  const dir = await repo([A, B])
  const p = join(dir, FILE)
  const before = await inject(p, M)
  const ed = join(dir, 'ed.sh')
  writeFileSync(ed, `#!/bin/sh\ntouch "${join(dir, 'opened')}"\necho '{}' > "$1"\n`)
  chmodSync(ed, 0o755)
  const cfg = readFileSync(join(dir, '.sops-like.yaml'))
  for (const args of [['rotate', FILE], ['rotate', '--dry-run', FILE], ['set', FILE, '["token"]', '"x"'], ['unset', FILE, '["token"]'], ['edit', FILE]]) {
    const r = await runCli(args, { cwd: dir, env: env(A, { EDITOR: ed }) })
    assert.is(r.code, 31, `${args.join(' ')}: ${r.stderr}`)
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /^sops-like: .*--keep-unlisted.*updatekeys/)
    assert.ok(r.stderr.includes(M.recipient))
    assert.not.ok(r.stdout.includes(CANARY) || r.stderr.includes(CANARY))
    assert.ok(readFileSync(p).equals(before), `${args.join(' ')} changed the file`)
  }
  assert.not.ok(existsSync(join(dir, 'opened')), 'the editor ran')
  const off = await runCli(['offboard', B.recipient], { cwd: dir, env: env(A) })
  assert.is(off.code, 31, off.stderr)
  assert.ok(off.stderr.includes(M.recipient) && off.stderr.includes('--keep-unlisted'), off.stderr)
  assert.match(off.stdout, /^Offboarded \(INCOMPLETE/)
  assert.ok(off.stdout.includes(`Not rotated: age ${B.recipient} can still read these; fix the error and run offboard again:\n  ${FILE}: recipient not listed by creation_rules[0] in .sops-like.yaml: age ${M.recipient};`), off.stdout)
  assert.ok(readFileSync(p).equals(before))
  assert.not.equal(readFileSync(join(dir, '.sops-like.yaml')), cfg) // the config edit is separate: B leaves the rule
  await intruderLockedOut(p)
  // a real process too
  const spawned = spawnCli(['rotate', FILE], { cwd: dir, env: env(A) })
  assert.is(spawned.code, 31, spawned.stderr)
  assert.ok(readFileSync(p).equals(before))
})

test('CLI --keep-unlisted: rotate and offboard proceed and print each file\'s final recipients', async () => {
  const dir = await repo([A, B])
  const p = join(dir, FILE)
  await inject(p, M)
  const r = await runCli(['rotate', '--keep-unlisted', FILE], { cwd: dir, env: env(A) })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /warning: .*keeping recipient .*--keep-unlisted/)
  assert.is(r.stdout, `${FILE}: encrypted to age ${A.recipient}, age ${B.recipient}, age ${M.recipient}\n`)
  const off = await runCli(['offboard', '--keep-unlisted', B.recipient], { cwd: dir, env: env(A) })
  assert.is(off.code, 0, off.stderr)
  assert.ok(off.stdout.includes(`Recipients each file is encrypted to now:\n  ${FILE}: age ${A.recipient}, age ${M.recipient}\n`), off.stdout)
  const s = await runCli(['set', '--keep-unlisted', FILE, '["token"]', '"x"'], { cwd: dir, env: env(A) })
  assert.is(s.code, 0, s.stderr)
  const ed = join(dir, 'ed.sh')
  writeFileSync(ed, `#!/bin/sh\nsed -i 's/"x"/"y"/' "$1"\n`)
  chmodSync(ed, 0o755)
  const e = await runCli(['edit', '--keep-unlisted', FILE], { cwd: dir, env: env(A, { EDITOR: ed }) })
  assert.is(e.code, 0, e.stderr)
  assert.match(e.stderr, /warning: .*keeping recipient/)
  assert.ok(JSON.stringify((await openBytes(readFileSync(p), { inputFormat: 'json', env: env(A) })).tree).includes('"y"'))
  const q = await runCli(['rotate', '--keep-unlisted', '-q', FILE], { cwd: dir, env: env(A) })
  assert.is(q.code, 0, q.stderr)
  assert.is(q.stdout, '')
})

test('CLI no config: rotate warns on one stderr line and proceeds', async () => {
  const dir = await repo([A], [A], '')
  const r = await runCli(['rotate', FILE], { cwd: dir, env: env(A) })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /^sops-like: warning: secrets\/app\.json: recipients not checked against a creation rule \(no \.sops-like\.yaml or \.sops\.yaml found\)\n/)
  assert.is(r.stdout, `${FILE}: encrypted to age ${A.recipient}\n`)
})

test.run()
