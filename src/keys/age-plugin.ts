/**
 * age plugins (YubiKey, TPM, Secure Enclave, …): recipients `age1<name>1…` and identities
 * `AGE-PLUGIN-<NAME>-1…` are handed to the program `age-plugin-<name>` on PATH, spoken to
 * over its stdin/stdout with the age plugin protocol (recipient-v1 to wrap, identity-v1 to
 * unwrap). A plugin asking for a PIN is answered through our terminal prompt; without a
 * terminal the request fails and the plugin's own error is reported. age-encryption has
 * no plugin client, so this is ours; it plugs into age-encryption's Recipient/Identity roles.
 */
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { RecipientError } from '../errors.js'
import { bech32Decode } from './ssh-x25519.js'
import type { AgeStanza } from './age-file.js'

const NAME_RE = /^[a-z0-9][a-z0-9._+-]*$/

/** The plugin name of a plugin recipient (`age1yubikey1…` → `yubikey`), or null when it is not one. */
export function pluginRecipientName(s: string): string | null {
  const t = s.trim()
  const sep = t.lastIndexOf('1')
  if (!t.startsWith('age1') || sep <= 4) return null
  const hrp = t.slice(0, sep).toLowerCase()
  const name = hrp.slice(4)
  if (!NAME_RE.test(name) || !bech32Decode(hrp, t)) return null
  return name
}

/** The plugin name of a plugin identity (`AGE-PLUGIN-YUBIKEY-1…` → `yubikey`), or null. */
export function pluginIdentityName(s: string): string | null {
  const t = s.trim()
  const sep = t.lastIndexOf('1')
  if (!/^AGE-PLUGIN-/i.test(t) || sep < 0) return null
  const hrp = t.slice(0, sep).toLowerCase()
  if (!hrp.endsWith('-')) return null
  const name = hrp.slice('age-plugin-'.length, -1)
  if (!NAME_RE.test(name) || !bech32Decode(hrp, t)) return null
  return name
}

// ---------- stanza framing (the age header's: `-> args`, base64 body in 64-column lines) ----------

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '')

export function encodeStanza(args: string[], body: Uint8Array = new Uint8Array(0)): string {
  const text = b64(body)
  const lines: string[] = []
  for (let i = 0; i < text.length; i += 64) lines.push(text.slice(i, i + 64))
  if (!lines.length || lines[lines.length - 1]!.length === 64) lines.push('')
  return `-> ${args.join(' ')}\n${lines.join('\n')}\n`
}

const MAX_LINE = 1 << 16
const MAX_BODY = 1 << 20

/** Reads stanzas from a stream of lines (the plugin's stdout). */
class StanzaReader {
  #buf = ''
  #lines: string[] = []
  #waiters: Array<() => void> = []
  #ended = false
  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding?.('utf8')
    stream.on('data', (c: string) => {
      this.#buf += c
      let i: number
      while ((i = this.#buf.indexOf('\n')) >= 0) { this.#lines.push(this.#buf.slice(0, i)); this.#buf = this.#buf.slice(i + 1) }
      if (this.#buf.length > MAX_LINE) this.#ended = true
      this.#wake()
    })
    stream.on('end', () => { this.#ended = true; this.#wake() })
    stream.on('error', () => { this.#ended = true; this.#wake() })
  }
  #wake(): void { for (const w of this.#waiters.splice(0)) w() }
  async #line(): Promise<string> {
    while (!this.#lines.length) {
      if (this.#ended) throw new PluginError('the plugin stopped before finishing the exchange')
      await new Promise<void>((r) => this.#waiters.push(r))
    }
    return this.#lines.shift()!
  }
  async read(): Promise<AgeStanza> {
    const head = await this.#line()
    if (!head.startsWith('-> ')) throw new PluginError('the plugin sent a malformed stanza')
    const args = head.slice(3).split(' ')
    if (!args[0] || args.some((a) => !a)) throw new PluginError('the plugin sent a malformed stanza')
    let text = ''
    for (;;) {
      const l = await this.#line()
      if (!/^[A-Za-z0-9+/]*$/.test(l) || l.length > 64) throw new PluginError('the plugin sent a malformed stanza body')
      text += l
      if (text.length > MAX_BODY) throw new PluginError('the plugin sent a stanza that is too large')
      if (l.length < 64) break
    }
    return { args, body: new Uint8Array(Buffer.from(text, 'base64')) }
  }
}

/** A plugin failed (not found, crashed, refused): the message is one line and names no secret. */
export class PluginError extends Error {}

/** How a plugin's requests reach the user. */
export interface PluginUi {
  /** A PIN or passphrase; undefined when it cannot be asked (no terminal). */
  requestSecret?: (prompt: string) => Promise<string | undefined>
  /** A public value (e.g. a slot number); undefined when it cannot be asked. */
  requestPublic?: (prompt: string) => Promise<string | undefined>
  /** A message such as "touch your YubiKey". */
  message?: (text: string) => void
  env?: NodeJS.ProcessEnv
}

const oneLine = (s: string): string => s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, 200)

/** Runs `age-plugin-<name> --age-plugin=<protocol>`, sends `requests`, and lets `onStanza` handle each answer until `done`. */
async function exchange(name: string, protocol: 'recipient-v1' | 'identity-v1', requests: string, ui: PluginUi, onStanza: (s: AgeStanza, reply: (text: string) => void) => boolean): Promise<void> {
  const env = ui.env ?? process.env
  const child = spawn(`age-plugin-${name}`, [`--age-plugin=${protocol}`], {
    cwd: tmpdir(),
    env: env as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', env.AGEDEBUG === 'plugin' ? 'inherit' : 'ignore'],
  })
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve())
    child.once('error', (e: NodeJS.ErrnoException) => reject(new PluginError(e.code === 'ENOENT' ? `age-plugin-${name} was not found on PATH` : `age-plugin-${name} could not start (${e.code ?? 'error'})`)))
  })
  child.stdin.on('error', () => undefined) // a plugin that exits early closes its stdin: its answers say why
  try {
    await started
    const reader = new StanzaReader(child.stdout)
    const reply = (text: string): void => { child.stdin.write(text) }
    child.stdin.write(requests)
    for (;;) {
      const s = await reader.read()
      const type = s.args[0]!
      if (type === 'done') return
      if (type === 'error') {
        reply(encodeStanza(['ok']))
        throw new PluginError(`age-plugin-${name}: ${oneLine(Buffer.from(s.body).toString('utf8')) || 'failed'}`)
      }
      if (onStanza(s, reply)) continue
      if (type === 'msg') {
        ui.message?.(oneLine(Buffer.from(s.body).toString('utf8')))
        reply(encodeStanza(['ok']))
      } else if (type === 'request-secret' || type === 'request-public') {
        const prompt = oneLine(Buffer.from(s.body).toString('utf8'))
        const ask = type === 'request-secret' ? ui.requestSecret : ui.requestPublic
        const answer = ask ? await ask(`${prompt} `) : undefined
        reply(answer === undefined ? encodeStanza(['fail']) : encodeStanza(['ok'], Buffer.from(answer, 'utf8')))
      } else if (type === 'confirm') {
        // no yes/no prompt of our own: a plugin that needs one is told we cannot ask
        reply(encodeStanza(['fail']))
      } else {
        reply(encodeStanza(['unsupported']))
      }
    }
  } finally {
    child.stdin.end()
    if (child.exitCode === null) setTimeout(() => { if (child.exitCode === null) child.kill() }, 2000).unref()
  }
}

const defaultUi = (ui: PluginUi): PluginUi => ({
  requestSecret: async (p) => (await import('../io/prompt-secret.js')).promptSecret(p),
  requestPublic: async (p) => (await import('../io/prompt-secret.js')).promptSecret(p),
  ...ui,
})

/** An age-encryption Recipient for a plugin recipient: `wrapFileKey` runs the plugin's recipient-v1. */
export function pluginRecipient(recipient: string, ui: PluginUi = {}): { wrapFileKey(fileKey: Uint8Array): Promise<Array<{ args: string[]; body: Uint8Array }>> } {
  const name = pluginRecipientName(recipient)
  if (!name) throw new RecipientError(`invalid age plugin recipient ${recipient.slice(0, 20)}…`)
  const short = `${recipient.slice(0, 20)}…`
  return {
    async wrapFileKey(fileKey: Uint8Array) {
      const { Stanza } = await import('age-encryption')
      const out: InstanceType<typeof Stanza>[] = []
      try {
        await exchange(name, 'recipient-v1', encodeStanza(['add-recipient', recipient.trim()]) + encodeStanza(['wrap-file-key'], fileKey) + encodeStanza(['done']), defaultUi(ui), (s, reply) => {
          if (s.args[0] !== 'recipient-stanza') return false
          if (s.args.length < 3 || s.args[1] !== '0') throw new PluginError(`age-plugin-${name} sent a malformed recipient stanza`)
          out.push(new Stanza(s.args.slice(2), s.body))
          reply(encodeStanza(['ok']))
          return true
        })
      } catch (e) {
        if (e instanceof PluginError) throw new RecipientError(`cannot encrypt to age plugin recipient ${short}: ${e.message}`)
        throw e
      }
      if (!out.length) throw new RecipientError(`cannot encrypt to age plugin recipient ${short}: age-plugin-${name} returned no stanza`)
      return out
    },
  }
}

/**
 * An identity (in age-encryption's role) for a plugin identity: `unwrapFileKey` runs the
 * plugin's identity-v1 over the file's stanzas. A failing plugin is "not opened", with a note.
 */
export function pluginIdentity(identity: string, ui: PluginUi & { onNote?: (line: string) => void } = {}): { unwrapFileKey(stanzas: AgeStanza[]): Promise<Uint8Array | null> } {
  const name = pluginIdentityName(identity)
  if (!name) throw new RecipientError('invalid age plugin identity (AGE-PLUGIN-…)')
  return {
    async unwrapFileKey(stanzas: AgeStanza[]): Promise<Uint8Array | null> {
      let fileKey: Uint8Array | null = null
      const req = encodeStanza(['add-identity', identity.trim()]) + stanzas.map((s) => encodeStanza(['recipient-stanza', '0', ...s.args], s.body)).join('') + encodeStanza(['done'])
      try {
        await exchange(name, 'identity-v1', req, defaultUi(ui), (s, reply) => {
          if (s.args[0] !== 'file-key') return false
          if (s.args.length !== 2 || s.args[1] !== '0' || fileKey || s.body.length !== 16) throw new PluginError(`age-plugin-${name} sent a malformed file key`)
          fileKey = s.body
          reply(encodeStanza(['ok']))
          return true
        })
      } catch (e) {
        if (!(e instanceof PluginError)) throw e
        ui.onNote?.(`cannot use age plugin identity: ${e.message}`)
        return null
      }
      return fileKey
    },
  }
}
