/**
 * GCP KMS keys end to end through the CLI, the official @google-cloud/kms client (REST mode,
 * SOPS_GCP_KMS_ENDPOINT pointing it at the test server, GOOGLE_OAUTH_ACCESS_TOKEN as the bearer
 * token) against a local KMS speaking the documented REST API (test/helpers/gcp-kms-server.ts):
 * the entry as sops writes it, an entry written by hand to the spec, rotate/updatekeys/status,
 * errors that name the service, the key and the cause and never the token.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Decrypter, armor } from 'age-encryption'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { startFakeGcpKms, type FakeGcpKms } from '../helpers/gcp-kms-server.js'
import { createGcpKmsIdentity, parseGcpKmsId } from '../../src/keys/gcp-kms.js'

const KEY = 'projects/sops-like-test/locations/global/keyRings/sops/cryptoKeys/main'
const OTHER = 'projects/sops-like-test/locations/europe-west1/keyRings/team/cryptoKeys/backup'
const TOKEN = 'ya29.test-access-token-0123456789'
const PLAIN = `db:\n    password: ${CANARY}\nname: app\n`
const t = tempDir('sops-like-gcp-')
let gcp: FakeGcpKms
let a: TestKey

const envWith = (o: { age?: boolean; token?: string | null; endpoint?: string } = {}): NodeJS.ProcessEnv => isolatedEnv({
  PATH: '/nonexistent',
  SOPS_GCP_KMS_ENDPOINT: o.endpoint ?? gcp.endpoint,
  ...(o.token !== null ? { GOOGLE_OAUTH_ACCESS_TOKEN: o.token ?? TOKEN } : {}),
  ...(o.age ? { SOPS_AGE_KEY: a.identity } : {}),
})

/** The data key of an age-encrypted file (to wrap it by hand as sops would). */
async function dataKeyOf(text: string): Promise<Uint8Array> {
  const ageEnc = /enc: \|\n((?: {12}.*\n)+)/.exec(text)![1]!.replace(/^ {12}/gm, '')
  const dec = new Decrypter()
  dec.addIdentity(a.identity)
  return dec.decrypt(armor.decode(ageEnc))
}

test.before(async () => {
  gcp = await startFakeGcpKms({ token: TOKEN, keys: [KEY, OTHER] })
  a = await makeAgeKey(t.dir, 'a')
  writeFileSync(join(t.dir, 'plain.yaml'), PLAIN)
})
test.after(async () => { await gcp.close(); t.cleanup() })

test('resource ids parse as sops takes them (spaces removed); anything else is refused with exit 30', () => {
  assert.equal(parseGcpKmsId(` ${KEY.replace('/sops/', '/ sops/')} `), { resourceId: KEY })
  for (const bad of ['projects/p/locations/l/keyRings/r', `${KEY}/cryptoKeyVersions/1`, 'arn:aws:kms:eu-west-1:111122223333:key/x', '']) {
    assert.throws(() => parseGcpKmsId(bad), (e: Error & { exitCode?: number }) => e.exitCode === 30, bad)
  }
})

test('path traversal in a file\'s resource_id: dot segments and backslashes (which URL parsing turns into another path) are refused and never sent', async () => {
  for (const id of ['projects/../locations/l/keyRings/r/cryptoKeys/k', 'projects/p/locations/./keyRings/r/cryptoKeys/k', 'projects/p/locations/l/keyRings/r/cryptoKeys/..', 'projects/p/locations/l/keyRings/r/cryptoKeys/k\\cryptoKeyVersions\\1']) {
    try {
      parseGcpKmsId(id)
      assert.unreachable(id)
    } catch (e) {
      assert.is((e as { exitCode?: number }).exitCode, 30, id)
    }
  }
  assert.is(parseGcpKmsId('projects/example.com:p/locations/l/keyRings/r.../cryptoKeys/k.v2').resourceId, 'projects/example.com:p/locations/l/keyRings/r.../cryptoKeys/k.v2', 'dots inside a name are fine')
  const seen = gcp.requests.length
  const notes: string[] = []
  const id = createGcpKmsIdentity({ env: envWith(), onNote: (l) => notes.push(l) })
  assert.is(await id.unwrap({ type: 'gcp_kms', fields: { resource_id: 'projects/../locations/../keyRings/../cryptoKeys/x', enc: 'AAAA', created_at: '2024-01-01T00:00:00Z' } }), null)
  assert.is(gcp.requests.length, seen, 'nothing was sent')
})

test('--gcp-kms writes the entry as sops 3.13 does (sorted fields, standard base64 enc) and the file opens with GCP KMS alone', async () => {
  const seen = gcp.requests.length
  const r = await runCli(['encrypt', '--gcp-kms', `${KEY},${OTHER}`, 'plain.yaml', '-o', 'g.enc.yaml'], { cwd: t.dir, env: envWith() })
  assert.is(r.code, 0, r.stderr)
  const text = readFileSync(join(t.dir, 'g.enc.yaml'), 'utf8')
  const entry = (id: string) => `        - created_at: "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"\\n          enc: [A-Za-z0-9+/]+={0,2}\\n          resource_id: ${id}\\n`
  assert.match(text, new RegExp(`\\n    gcp_kms:\\n${entry(KEY)}${entry(OTHER)}    lastmodified: `))
  assert.ok(gcp.requests.slice(seen).every((q) => q.op === 'encrypt' && q.authorized), 'every call carries the bearer token')
  const d = await runCli(['decrypt', 'g.enc.yaml'], { cwd: t.dir, env: envWith() })
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, PLAIN)
})

test('a gcp_kms entry written by hand to the sops spec (§8.6; older struct order resource_id, created_at, enc) opens', async () => {
  // no sops-made GCP fixture exists: this entry is made by hand from the spec, its enc by the test KMS
  const r = await runCli(['encrypt', '--age', a.recipient, 'plain.yaml'], { cwd: t.dir, env: envWith() })
  assert.is(r.code, 0, r.stderr)
  const dataKey = await dataKeyOf(r.stdout)
  const entry = `    gcp_kms:
        - resource_id: ${OTHER}
          created_at: "2024-03-01T10:00:00Z"
          enc: ${gcp.encrypt(OTHER, dataKey)}
`
  const hand = r.stdout.replace(/    age:\n(?:        .*\n)+/, entry)
  assert.ok(!hand.includes('recipient:'))
  writeFileSync(join(t.dir, 'hand.enc.yaml'), hand)
  const d = await runCli(['decrypt', 'hand.enc.yaml'], { cwd: t.dir, env: envWith() })
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, PLAIN)
  // and in JSON, as sops writes it
  const j = await runCli(['encrypt', '--gcp-kms', KEY, '--output-type', 'json', 'plain.yaml'], { cwd: t.dir, env: envWith() })
  assert.is(j.code, 0, j.stderr)
  assert.match(j.stdout, /\t\t"gcp_kms": \[\n\t\t\t\{\n\t\t\t\t"created_at": "[^"]+",\n\t\t\t\t"enc": "[A-Za-z0-9+/=]+",\n\t\t\t\t"resource_id": "projects\/sops-like-test\/locations\/global\/keyRings\/sops\/cryptoKeys\/main"\n\t\t\t\}\n\t\t\]/)
})

test('errors name the service, the key and the cause, on one line, never the token: permission denied, key disabled, bad token, network', async () => {
  gcp.denied.add(OTHER)
  try {
    const denied = await runCli(['encrypt', '--gcp-kms', OTHER, 'plain.yaml'], { cwd: t.dir, env: envWith() })
    assert.is(denied.code, 30)
    assert.match(denied.stderr, `cannot encrypt to GCP KMS key ${OTHER}: permission denied`)
    assert.is(denied.stderr.trim().split('\n').length, 1, denied.stderr)
    const dDenied = await runCli(['decrypt', 'hand.enc.yaml'], { cwd: t.dir, env: envWith() })
    assert.is(dDenied.code, 128)
    assert.match(dDenied.stderr, `cannot decrypt with GCP KMS key ${OTHER}: permission denied`)
  } finally {
    gcp.denied.delete(OTHER)
  }
  gcp.disabled.add(OTHER)
  try {
    const disabled = await runCli(['decrypt', 'hand.enc.yaml'], { cwd: t.dir, env: envWith() })
    assert.is(disabled.code, 128)
    assert.match(disabled.stderr, `cannot decrypt with GCP KMS key ${OTHER}: key disabled`)
  } finally {
    gcp.disabled.delete(OTHER)
  }
  const bad = await runCli(['encrypt', '--gcp-kms', KEY, 'plain.yaml'], { cwd: t.dir, env: envWith({ token: 'ya29.wrong-token-value' }) })
  assert.is(bad.code, 30)
  assert.match(bad.stderr, `cannot encrypt to GCP KMS key ${KEY}: credentials not accepted`)
  const missing = await runCli(['encrypt', '--gcp-kms', KEY.replace('/main', '/nope'), 'plain.yaml'], { cwd: t.dir, env: envWith() })
  assert.is(missing.code, 30)
  assert.match(missing.stderr, /key not found/)
  const down = await runCli(['encrypt', '--gcp-kms', KEY, 'plain.yaml'], { cwd: t.dir, env: envWith({ endpoint: 'http://127.0.0.1:1' }) })
  assert.is(down.code, 30)
  assert.match(down.stderr, `cannot encrypt to GCP KMS key ${KEY}: connection refused (network)`)
  // GOOGLE_CREDENTIALS as sops reads it (a file or the JSON itself): neither is named, never echoed
  const creds = await runCli(['encrypt', '--gcp-kms', KEY, 'plain.yaml'], { cwd: t.dir, env: { ...envWith(), GOOGLE_CREDENTIALS: '{"private_key": "-----BEGIN' } })
  assert.is(creds.code, 30)
  assert.match(creds.stderr, `cannot encrypt to GCP KMS key ${KEY}: GOOGLE_CREDENTIALS is neither a readable file nor JSON credentials`)
  for (const r of [bad, missing, down, creds]) {
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.not.match(r.stderr, /ya29\./)
  }
})

test('SOPS_GCP_KMS_IDS is used when no recipient flag is given', async () => {
  const r = await runCli(['encrypt', 'plain.yaml'], { cwd: t.dir, env: { ...envWith(), SOPS_GCP_KMS_IDS: KEY } })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, `resource_id: ${KEY}`)
})

test('rules (flat gcp_kms and key_groups {resource_id}), rotate --rm/--add-gcp-kms, updatekeys and status know GCP KMS keys', async () => {
  const dir = join(t.dir, 'rules')
  mkdirSync(dir)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:
  - path_regex: flat\\.yaml$
    age: ${a.recipient}
    gcp_kms: ${KEY}
  - path_regex: groups\\.yaml$
    key_groups:
      - age: [${a.recipient}]
        gcp_kms:
          - resource_id: ${KEY}
          - resource_id: ${OTHER}
`)
  for (const f of ['flat.yaml', 'groups.yaml']) {
    writeFileSync(join(dir, f), PLAIN)
    const e = await runCli(['encrypt', '-i', f], { cwd: dir, env: envWith() })
    assert.is(e.code, 0, e.stderr)
  }
  assert.match(readFileSync(join(dir, 'groups.yaml'), 'utf8'), `resource_id: ${OTHER}`)
  const status = await runCli(['status', 'flat.yaml'], { cwd: dir, env: envWith() })
  assert.is(status.code, 0, status.stderr)
  assert.match(status.stdout, KEY)

  const enc = (): string => /gcp_kms:\n\s+- created_at: "[^"]+"\n\s+enc: (\S+)/.exec(readFileSync(join(dir, 'flat.yaml'), 'utf8'))?.[1] ?? ''
  const before = enc()
  const rot = await runCli(['rotate', 'flat.yaml'], { cwd: dir, env: envWith() })
  assert.is(rot.code, 0, rot.stderr)
  assert.ok(enc() && enc() !== before, 'the GCP entry was re-wrapped')
  assert.is((await runCli(['decrypt', 'flat.yaml'], { cwd: dir, env: envWith() })).stdout, PLAIN)

  const rm = await runCli(['rotate', '--rm-gcp-kms', KEY, '--keep-unlisted', 'flat.yaml'], { cwd: dir, env: envWith({ age: true }) })
  assert.is(rm.code, 0, rm.stderr)
  assert.not.match(readFileSync(join(dir, 'flat.yaml'), 'utf8'), /gcp_kms/)
  const up = await runCli(['updatekeys', '-y', 'flat.yaml'], { cwd: dir, env: envWith({ age: true }) })
  assert.is(up.code, 0, up.stderr)
  assert.match(readFileSync(join(dir, 'flat.yaml'), 'utf8'), `resource_id: ${KEY}`)
  const add = await runCli(['rotate', '--add-gcp-kms', OTHER, '--keep-unlisted', 'flat.yaml'], { cwd: dir, env: envWith({ age: true }) })
  assert.is(add.code, 0, add.stderr)
  assert.match(readFileSync(join(dir, 'flat.yaml'), 'utf8'), `resource_id: ${OTHER}`)
  const d = await runCli(['decrypt', 'flat.yaml'], { cwd: dir, env: envWith() })
  assert.is(d.stdout, PLAIN, d.stderr)
})

test.run()
