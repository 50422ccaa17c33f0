/**
 * age plugins end to end through the CLI: a tiny plugin program written here
 * (`age-plugin-test`, a node script put on PATH) wraps file keys under a fixed AES key in
 * recipient-v1 and unwraps them in identity-v1; `age-plugin-testpin` asks for a PIN with
 * request-secret, which fails clearly without a terminal. The plugin checks the protocol's
 * framing (stanza lines, 64-column bodies) as it reads.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bech32 } from '@scure/base'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { encodeStanza, pluginIdentityName, pluginRecipientName } from '../../src/keys/age-plugin.js'

const PLAIN = `api:\n    token: ${CANARY}\n`
const t = tempDir('sops-like-plugin-')
const bin = join(t.dir, 'bin')
let a: TestKey

const enc = (hrp: string, data: Uint8Array): string => bech32.encode(hrp, bech32.toWords(data), false)
const RECIPIENT = enc('age1test', new Uint8Array(8).fill(7))
const IDENTITY = enc('age-plugin-test-', new Uint8Array(8).fill(9)).toUpperCase()
const PIN_RECIPIENT = enc('age1testpin', new Uint8Array(8).fill(1))

/** The plugin program: fixed AES-256-GCM key, stanza type `test-wrap`; `pin` mode asks for PIN 1234 first. */
const PLUGIN = (pin: boolean) => `#!${process.execPath}
const { createCipheriv, createDecipheriv, randomBytes } = require('node:crypto')
const KEY = Buffer.alloc(32, 42)
const proto = process.argv[2]
let buf = ''
const lines = []
let wake = null
process.stdin.setEncoding('utf8')
process.stdin.on('data', (c) => { buf += c; let i; while ((i = buf.indexOf('\\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1) } if (wake) wake() })
const line = async () => { while (!lines.length) await new Promise((r) => (wake = r)); return lines.shift() }
async function stanza() {
  const head = await line()
  if (!head.startsWith('-> ')) throw new Error('bad header ' + head)
  let body = ''
  for (;;) { const l = await line(); if (l.length > 64) throw new Error('long line'); body += l; if (l.length < 64) break }
  return { args: head.slice(3).split(' '), body: Buffer.from(body, 'base64') }
}
const b64 = (b) => b.toString('base64').replace(/=+$/, '')
function send(args, body = Buffer.alloc(0)) {
  const t = b64(body); const out = []
  for (let i = 0; i < t.length; i += 64) out.push(t.slice(i, i + 64))
  if (!out.length || out[out.length - 1].length === 64) out.push('')
  process.stdout.write('-> ' + args.join(' ') + '\\n' + out.join('\\n') + '\\n')
}
async function main() {
  const got = []
  for (;;) { const s = await stanza(); if (s.args[0] === 'done') break; got.push(s) }
  if (${pin}) {
    send(['request-secret'], Buffer.from('Enter PIN for test key:'))
    const r = await stanza()
    if (r.args[0] !== 'ok' || r.body.toString() !== '1234') { send(['error', 'internal'], Buffer.from('PIN required (not entered)')); await stanza(); process.exit(0) }
  }
  if (proto === '--age-plugin=recipient-v1') {
    if (!got.some((s) => s.args[0] === 'add-recipient')) throw new Error('no recipient')
    const fk = got.find((s) => s.args[0] === 'wrap-file-key').body
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', KEY, iv)
    send(['recipient-stanza', '0', 'test-wrap', b64(iv)], Buffer.concat([c.update(fk), c.final(), c.getAuthTag()]))
    if ((await stanza()).args[0] !== 'ok') throw new Error('no ok')
  } else {
    if (!got.some((s) => s.args[0] === 'add-identity')) throw new Error('no identity')
    for (const s of got) {
      if (s.args[0] !== 'recipient-stanza' || s.args[2] !== 'test-wrap') continue
      const d = createDecipheriv('aes-256-gcm', KEY, Buffer.from(s.args[3], 'base64'))
      d.setAuthTag(s.body.subarray(s.body.length - 16))
      const fk = Buffer.concat([d.update(s.body.subarray(0, s.body.length - 16)), d.final()])
      send(['msg'], Buffer.from('touch the test key'))
      await stanza()
      send(['file-key', '0'], fk)
      await stanza()
      break
    }
  }
  send(['done'])
}
main().catch((e) => { process.stderr.write(String(e)); process.exit(1) })
`

test.before(async () => {
  mkdirSync(bin)
  for (const [name, pin] of [['test', false], ['testpin', true]] as const) {
    writeFileSync(join(bin, `age-plugin-${name}`), PLUGIN(pin))
    chmodSync(join(bin, `age-plugin-${name}`), 0o755)
  }
  a = await makeAgeKey(t.dir, 'a')
  writeFileSync(join(t.dir, 'plain.yaml'), PLAIN)
})
test.after(() => t.cleanup())

const env = (keys: string[], extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ PATH: bin, ...(keys.length ? { SOPS_AGE_KEY: keys.join('\n') } : {}), ...extra })

test('plugin names come from the bech32 prefix; framing matches the age header (64 columns, short last line)', () => {
  assert.is(pluginRecipientName(RECIPIENT), 'test')
  assert.is(pluginIdentityName(IDENTITY), 'test')
  assert.is(pluginRecipientName(RECIPIENT.slice(0, -1) + (RECIPIENT.endsWith('q') ? 'p' : 'q')), null, 'checksum checked')
  assert.is(pluginRecipientName(a.recipient), null)
  assert.is(encodeStanza(['done']), '-> done\n\n')
  assert.is(encodeStanza(['x'], new Uint8Array(48)), `-> x\n${'A'.repeat(64)}\n\n`)
})

test('plugin name with a path in a file\'s recipient (age1../../bin/x1…): not a plugin, so nothing outside PATH can run', () => {
  const words = bech32.toWords(new Uint8Array(32))
  for (const name of ['../../tmp/x', 'a/b', '.hidden', '-x']) {
    assert.is(pluginRecipientName(bech32.encode(`age1${name}`, words, false)), null, name)
    assert.is(pluginIdentityName(bech32.encode(`AGE-PLUGIN-${name.toUpperCase()}-`, words, false).toUpperCase()), null, name)
  }
  assert.is(pluginRecipientName(bech32.encode('age1yubikey', words, false)), 'yubikey')
})

test('encrypt to a plugin recipient and an age key; the plugin identity alone opens the file', async () => {
  const r = await runCli(['encrypt', '--age', `${RECIPIENT},${a.recipient}`, 'plain.yaml', '-o', 'p.enc.yaml'], { cwd: t.dir, env: env([]) })
  assert.is(r.code, 0, r.stderr)
  assert.match(readFileSync(join(t.dir, 'p.enc.yaml'), 'utf8'), `recipient: ${RECIPIENT}`)
  const byPlugin = await runCli(['decrypt', 'p.enc.yaml'], { cwd: t.dir, env: env([IDENTITY]) })
  assert.is(byPlugin.code, 0, byPlugin.stderr)
  assert.is(byPlugin.stdout, PLAIN)
  assert.match(byPlugin.stderr, /touch the test key/, 'the plugin\'s message reaches the user')
  const byAge = await runCli(['decrypt', 'p.enc.yaml'], { cwd: t.dir, env: env([a.identity]) })
  assert.is(byAge.stdout, PLAIN, byAge.stderr)
})

test('a plugin that is not on PATH: encrypt fails with exit 30 naming the program', async () => {
  const r = await runCli(['encrypt', '--age', RECIPIENT, 'plain.yaml'], { cwd: t.dir, env: env([], { PATH: '/nonexistent' }) })
  assert.is(r.code, 30)
  assert.match(r.stderr, /age-plugin-test was not found on PATH/)
  const d = await runCli(['decrypt', 'p.enc.yaml'], { cwd: t.dir, env: env([IDENTITY], { PATH: '/nonexistent' }) })
  assert.is(d.code, 128)
  assert.match(d.stderr, /age-plugin-test was not found on PATH/)
})

test('a plugin asking for a PIN without a terminal fails clearly (its own error is shown)', async () => {
  const r = await runCli(['encrypt', '--age', PIN_RECIPIENT, 'plain.yaml'], { cwd: t.dir, env: env([]) })
  assert.is(r.code, 30)
  assert.match(r.stderr, /age-plugin-testpin: PIN required/)
})

test.run()
