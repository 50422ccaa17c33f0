/**
 * End to end: sops' `groups add` / `groups delete` (src/ops/keys/groups.ts): output on stdout
 * unless -i, sops' exit codes and refusals, the data key wrapped again (Shamir re-split) on
 * add, rotated on a delete that removes someone, and the creation-rule recipient policy.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let k1: TestKey, k2: TestKey, k3: TestKey
let n = 0
test.before(async () => {
  t = tempDir()
  k1 = await makeAgeKey(t.dir, 'k1')
  k2 = await makeAgeKey(t.dir, 'k2')
  k3 = await makeAgeKey(t.dir, 'k3')
})
test.after(() => t.cleanup())

const PLAIN = `db:\n    password: ${CANARY}\n    port: 5432\n`
/** An env whose age keys file holds the given keys. */
function envWith(...keys: TestKey[]): NodeJS.ProcessEnv {
  const f = join(t.dir, `keys-${n++}.txt`)
  writeFileSync(f, keys.map((k) => readFileSync(k.file, 'utf8')).join('\n'), { mode: 0o600 })
  return isolatedEnv({ SOPS_AGE_KEY_FILE: f })
}
const run = (args: string[], e = envWith(k1, k2, k3)) => runCli(args, { cwd: t.dir, env: e })
const read = (f: string) => readFileSync(join(t.dir, f), 'utf8')
const values = (s: string) => s.slice(0, s.indexOf('\nsops:'))
const field = (s: string, name: string) => new RegExp(`^    ${name}: (.*)$`, 'm').exec(s)?.[1]

/** A fresh file encrypted to `keys` in one group (or one group per key with `groups`). */
async function encrypted(keys: TestKey[], opts: { groups?: boolean; threshold?: number } = {}): Promise<string> {
  const name = `f${n++}.enc.yaml`
  writeFileSync(join(t.dir, name), PLAIN)
  if (!opts.groups) {
    const r = await run(['encrypt', '-i', '--age', keys.map((k) => k.recipient).join(','), name])
    assert.is(r.code, 0, r.stderr)
    return name
  }
  writeFileSync(join(t.dir, `.sops-${name}.yaml`), `creation_rules:\n  - key_groups:\n${keys.map((k) => `      - age: ['${k.recipient}']\n`).join('')}${opts.threshold ? `    shamir_threshold: ${opts.threshold}\n` : ''}`)
  const r = await run(['encrypt', '-i', '--config', join(t.dir, `.sops-${name}.yaml`), name])
  assert.is(r.code, 0, r.stderr)
  return name
}

test('groups add prints the file with a new key group (sops: stdout unless -i); values, MAC and lastmodified unchanged', async () => {
  const f = await encrypted([k1])
  const before = read(f)
  const r = await run(['groups', 'add', '--file', f, '--age', k2.recipient])
  assert.is(r.code, 0, r.stderr)
  assert.is(read(f), before, 'the input is not touched without -i')
  assert.is(values(r.stdout), values(before), 'values keep their ciphertext: the data key is kept, as sops')
  assert.is(field(r.stdout, 'mac'), field(before, 'mac'))
  assert.is(field(r.stdout, 'lastmodified'), field(before, 'lastmodified'))
  assert.match(r.stdout, /\n    key_groups:\n        - age:\n/)
  assert.match(r.stdout, /\n    shamir_threshold: 2\n/, 'two groups: threshold defaults to the group count, as sops')
  writeFileSync(join(t.dir, 'added.enc.yaml'), r.stdout)
  const one = await run(['decrypt', 'added.enc.yaml'], envWith(k1))
  assert.is(one.code, 128, 'one share of two opens nothing')
  assert.match(one.stderr, /1 of 2 groups opened, 2 needed/)
  const both = await run(['decrypt', 'added.enc.yaml'], envWith(k1, k2))
  assert.is(both.code, 0, both.stderr)
  assert.is(both.stdout, PLAIN)
})

test('groups add -i writes in place and prints nothing; --shamir-secret-sharing-threshold sets the threshold', async () => {
  const f = await encrypted([k1, k2], { groups: true })
  const r = await run(['groups', 'add', '-f', f, '--age', k3.recipient, '--shamir-secret-sharing-threshold', '2', '-i'])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '')
  const out = read(f)
  assert.is(out.match(/^        - age:$/gm)?.length, 3)
  assert.match(out, /\n    shamir_threshold: 2\n/)
  for (const pair of [[k1, k3], [k2, k3], [k1, k2]]) {
    const d = await run(['decrypt', f], envWith(...pair))
    assert.is(d.code, 0, d.stderr)
    assert.is(d.stdout, PLAIN)
  }
  assert.is((await run(['decrypt', f], envWith(k3))).code, 128)
})

test('groups add refusals: no key (exit 1), a positional argument (exit 1, as sops), no --file (exit 1), a secret key (exit 30)', async () => {
  const f = await encrypted([k1])
  const before = read(f)
  const none = await run(['groups', 'add', '--file', f, '-i'])
  assert.is(none.code, 1)
  assert.match(none.stderr, /at least one key/)
  const pos = await run(['groups', 'add', '--age', k2.recipient, f])
  assert.is(pos.code, 1)
  assert.match(pos.stderr, /no positional arguments allowed/)
  assert.is((await run(['groups', 'add', '--age', k2.recipient])).code, 1)
  const secret = await run(['groups', 'add', '--file', f, '--age', k2.identity, '-i'])
  assert.is(secret.code, 30)
  assert.not.match(secret.stderr, k2.identity)
  const gcp = await run(['groups', 'add', '--file', f, '--gcp-kms', 'projects/p/locations/l/keyRings/r/cryptoKeys/k', '-i'])
  assert.is(gcp.code, 1)
  assert.match(gcp.stderr, /--age, --pgp, --kms or --hc-vault-transit/)
  assert.is(read(f), before)
})

test('groups delete: a deletion below the threshold is refused as sops; with a lower threshold the removed key loses the file (new data key)', async () => {
  const f = await encrypted([k1, k2], { groups: true })
  const before = read(f)
  const refused = await run(['groups', 'delete', '--file', f, '1', '-i'])
  assert.is(refused.code, 1)
  assert.match(refused.stderr, /Shamir threshold is 2, but we only have 1 key groups; pass --shamir-secret-sharing-threshold 1/)
  assert.is(read(f), before)
  const r = await run(['groups', 'delete', '--file', f, '--shamir-secret-sharing-threshold', '1', '1'])
  assert.is(r.code, 0, r.stderr)
  assert.is(read(f), before, 'printed, not written, without -i')
  assert.match(r.stderr, /new data key/)
  assert.is.not(values(r.stdout), values(before), 'k2 held a share: every value is re-encrypted')
  assert.not.match(r.stdout, k2.recipient)
  assert.match(r.stdout, /\n    shamir_threshold: 1\n/, 'kept for one group, as sops writes it')
  writeFileSync(join(t.dir, 'deleted.enc.yaml'), r.stdout)
  const d = await run(['decrypt', 'deleted.enc.yaml'], envWith(k1))
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, PLAIN)
  assert.is((await run(['decrypt', 'deleted.enc.yaml'], envWith(k2))).code, 128)
})

test('groups delete keeps the data key when everyone in the group stays a recipient elsewhere', async () => {
  const f = await encrypted([k1, k2, k3], { groups: true, threshold: 2 })
  const add = await run(['groups', 'add', '--file', f, '--age', k1.recipient, '-i'])
  assert.is(add.code, 0, add.stderr)
  const before = read(f)
  const r = await run(['groups', 'delete', '--file', f, '3', '-i'])
  assert.is(r.code, 0, r.stderr)
  assert.is(values(read(f)), values(before))
  assert.not.match(r.stderr, /new data key/)
  assert.is((await run(['decrypt', f], envWith(k2, k3))).code, 0)
})

test('groups delete refusals: index out of range, not a number, missing (exit 1); the only group (exit 111)', async () => {
  const f = await encrypted([k1])
  const range = await run(['groups', 'delete', '--file', f, '3'])
  assert.is(range.code, 1)
  assert.match(range.stderr, /has no key group 3: it has 1/)
  const nan = await run(['groups', 'delete', '--file', f, 'x'])
  assert.is(nan.code, 1)
  assert.match(nan.stderr, /failed to parse \[index\]/)
  const missing = await run(['groups', 'delete', '--file', f])
  assert.is(missing.code, 1)
  assert.match(missing.stderr, /exactly one positional argument \(index\) required/)
  const only = await run(['groups', 'delete', '--file', f, '0', '-i'])
  assert.is(only.code, 111)
  assert.match(only.stderr, /only key group/)
})

test('groups add refuses a file whose recipients its creation rule does not list (exit 31) unless --keep-unlisted', async () => {
  const f = await encrypted([k1, k3]) // k3 is not in the rule below
  writeFileSync(join(t.dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: ${f.replace('.', '\\.')}$\n    age: ${k1.recipient}\n`)
  try {
    const r = await run(['groups', 'add', '--file', f, '--age', k2.recipient, '-i'])
    assert.is(r.code, 31)
    assert.match(r.stderr, /not listed by creation_rules\[0\]/)
    const kept = await run(['groups', 'add', '--file', f, '--age', k2.recipient, '-i', '--keep-unlisted'])
    assert.is(kept.code, 0, kept.stderr)
  } finally {
    writeFileSync(join(t.dir, '.sops-like.yaml'), 'creation_rules: []\n')
  }
})

test('groups add/delete through sops\' spelling with --indent: the output uses the indent', async () => {
  const f = await encrypted([k1])
  const r = await run(['groups', 'add', '--file', f, '--age', k2.recipient, '--indent', '2'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^db:\n  password: ENC\[/)
  assert.match(r.stdout, /\nsops:\n  key_groups:\n    - age:\n/)
})

test.run()
