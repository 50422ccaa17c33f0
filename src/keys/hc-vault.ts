/**
 * HashiCorp Vault Transit master keys (`hc_vault` entries, as sops 3.13 writes them):
 * the data key (or a Shamir share) is sent base64-encoded to `/v1/<engine>/encrypt/<key>`
 * and the `vault:v1:…` ciphertext Vault returns is kept as `enc`. Plain HTTP(S) through
 * node:http(s) (no client library: two JSON calls, and node:https takes a CA bundle).
 * Loaded only when a file or a flag names a Vault key.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { RecipientError } from '../errors.js'
import type { Identity, KeyEntry, Recipient } from './key-source.js'
import { nowRfc3339 } from './created-at.js'

export interface VaultKey {
  /** `scheme://host[:port]`, as sops keeps it in `vault_address`. */
  address: string
  enginePath: string
  keyName: string
}

const EXAMPLE = 'https://vault.example.com:8200/v1/transit/keys/keyName'

/** The key's URI as sops prints it (`<address>/v1/<engine>/keys/<name>`): its identifier here. */
export const vaultUri = (k: VaultKey): string => `${k.address}/v1/${k.enginePath}/keys/${k.keyName}`

/** Parses `https://vault:8200/v1/<engine path>/keys/<key name>` the way sops does; throws RecipientError. */
export function parseVaultUri(input: string): VaultKey {
  const uri = input.trim()
  let u: URL
  try {
    u = new URL(uri)
  } catch {
    throw new RecipientError(`Vault Transit key ${JSON.stringify(uri.slice(0, 80))} is not a URI (use ${EXAMPLE})`)
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new RecipientError(`Vault Transit key ${uri.slice(0, 80)} must be an http(s) URI (use ${EXAMPLE})`)
  const segs = u.pathname.split('/').filter(Boolean)
  const isVersion = (s: string | undefined): boolean => !!s && /^v\d+$/.test(s)
  // as sops: Vault behind a path prefix (`/prefix/v1/…`) is refused, and the path needs /v1/<engine>/keys/<name>
  if (segs.length >= 5 && segs.slice(1, -3).some(isVersion)) throw new RecipientError(`Vault Transit key ${uri.slice(0, 80)}: a Vault under a URL prefix is not supported (use ${EXAMPLE})`)
  if (!isVersion(segs[0]) || segs.length < 4) throw new RecipientError(`Vault Transit key ${uri.slice(0, 80)} is not formatted like ${EXAMPLE}`)
  const keyName = decodeURIComponent(segs[segs.length - 1]!)
  const enginePath = segs.slice(1, -2).map(decodeURIComponent).join('/')
  return { address: `${u.protocol}//${u.host}`, enginePath, keyName }
}

/** The key named by an `hc_vault` entry (null when its fields are missing). */
export function vaultKeyOfEntry(e: KeyEntry): VaultKey | null {
  const { vault_address: address, engine_path: enginePath, key_name: keyName } = e.fields
  return address && enginePath && keyName ? { address: address.replace(/\/+$/, ''), enginePath: enginePath.replace(/^\/+|\/+$/g, ''), keyName } : null
}

// ---------- the HTTP call ----------

/** What a Vault call failed with, in one line that names no secret. */
export class VaultCallError extends Error {}

interface VaultEnv { token: string; namespace?: string; ca?: Buffer; insecure: boolean }

/** VAULT_TOKEN, else ~/.vault-token; VAULT_NAMESPACE; VAULT_CACERT; VAULT_SKIP_VERIFY (as the Vault CLI reads them). */
function vaultEnv(env: NodeJS.ProcessEnv): VaultEnv {
  let token = env.VAULT_TOKEN?.trim() ?? ''
  if (!token) {
    const home = env.HOME || homedir()
    try {
      token = readFileSync(join(home, '.vault-token'), 'utf8').trim()
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new VaultCallError('cannot read ~/.vault-token')
    }
  }
  if (!token) throw new VaultCallError('no Vault token: set VAULT_TOKEN or run `vault login`')
  const out: VaultEnv = { token, insecure: /^(1|t|true)$/i.test(env.VAULT_SKIP_VERIFY ?? '') }
  if (env.VAULT_NAMESPACE) out.namespace = env.VAULT_NAMESPACE
  if (env.VAULT_CACERT) {
    try {
      out.ca = readFileSync(env.VAULT_CACERT)
    } catch {
      throw new VaultCallError(`cannot read VAULT_CACERT ${env.VAULT_CACERT}`)
    }
  }
  return out
}

/**
 * Which Vault servers get our token. SOPS_HC_VAULT_ALLOWLIST (`all`, `none` or comma-separated
 * URL prefixes) as sops reads it; when it is unset, only VAULT_ADDR's server. sops sends the
 * token to any address a file names; here a file from someone else (a pull request that `git
 * diff` runs textconv on) must not be able to send our Vault token to a server of its choosing.
 */
function allowed(address: string, env: NodeJS.ProcessEnv): boolean {
  const list = env.SOPS_HC_VAULT_ALLOWLIST?.trim()
  const withSlash = (s: string): string => (s.endsWith('/') ? s : s + '/')
  if (list) {
    if (list === 'all') return true
    if (list === 'none') return false
    return list.split(',').map((x) => x.trim()).filter(Boolean).some((p) => withSlash(address).startsWith(withSlash(p)))
  }
  try {
    return !!env.VAULT_ADDR && new URL(env.VAULT_ADDR).origin === new URL(address).origin
  } catch {
    return false
  }
}

const TIMEOUT_MS = 30_000
const MAX_RESPONSE = 1 << 20

/** POSTs JSON to Vault and returns the response's `data` object; throws VaultCallError naming the cause. */
export async function vaultWrite(key: VaultKey, op: 'encrypt' | 'decrypt', body: Record<string, string>, env: NodeJS.ProcessEnv, timeoutMs = TIMEOUT_MS): Promise<Record<string, unknown>> {
  if (!allowed(key.address, env)) {
    const why = env.SOPS_HC_VAULT_ALLOWLIST ? 'it is not in SOPS_HC_VAULT_ALLOWLIST' : env.VAULT_ADDR ? `it is not VAULT_ADDR (${new URL(env.VAULT_ADDR).origin}) and SOPS_HC_VAULT_ALLOWLIST is unset` : 'neither VAULT_ADDR nor SOPS_HC_VAULT_ALLOWLIST names it'
    throw new VaultCallError(`the Vault token is not sent to ${key.address}: ${why}`)
  }
  const ve = vaultEnv(env)
  const url = new URL(`${key.address}/v1/${[...key.enginePath.split('/'), op, key.keyName].map(encodeURIComponent).join('/')}`)
  const payload = Buffer.from(JSON.stringify(body))
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(payload.length), 'x-vault-token': ve.token, 'x-vault-request': 'true' }
  if (ve.namespace) headers['x-vault-namespace'] = ve.namespace
  const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http')
  const opts: import('node:https').RequestOptions = { method: 'POST', headers, timeout: timeoutMs }
  if (url.protocol === 'https:') {
    if (ve.ca) opts.ca = ve.ca
    if (ve.insecure) opts.rejectUnauthorized = false
  }
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = mod.request(url, opts, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_RESPONSE) { req.destroy(); reject(new VaultCallError('the response is too large')) } else chunks.push(c)
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', () => reject(new VaultCallError('the connection broke')))
    })
    req.on('timeout', () => { req.destroy(); reject(new VaultCallError(`no answer within ${timeoutMs / 1000}s`)) })
    req.on('error', (e: NodeJS.ErrnoException) => reject(new VaultCallError(networkCause(e))))
    req.end(payload)
  })
  let json: { data?: Record<string, unknown>; errors?: unknown[] } = {}
  try {
    json = JSON.parse(text)
  } catch {
    // a proxy's HTML page: the status says enough
  }
  if (status < 200 || status >= 300) {
    const first = Array.isArray(json.errors) && typeof json.errors[0] === 'string' ? oneLine(json.errors[0]) : ''
    const kind = status === 403 ? 'permission denied' : status === 404 ? 'not found (check the engine path)' : status === 400 ? 'refused' : `HTTP ${status}`
    throw new VaultCallError(first && first !== kind ? `${kind}: ${first}` : kind)
  }
  if (!json.data || typeof json.data !== 'object') throw new VaultCallError('the answer has no data')
  return json.data
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, 160)

function networkCause(e: NodeJS.ErrnoException): string {
  if (e.code === 'ECONNREFUSED') return 'connection refused'
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'host not found'
  if (e.code === 'ETIMEDOUT') return 'connection timed out'
  if (e.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(e.code)) return `TLS certificate not trusted (${e.code}; set VAULT_CACERT)`
  return `network error${e.code ? ` (${e.code})` : ''}`
}

// ---------- Recipient and Identity ----------

const describeKey = (k: VaultKey): string => `Vault Transit key ${vaultUri(k)}`

// Same shape as createKmsRecipient (src/keys/aws-kms.ts) on purpose: each remote key service is one Recipient.
/** A Recipient that wraps for a Vault Transit key. */
export function createVaultRecipient(key: VaultKey | string, opts: { env?: NodeJS.ProcessEnv; now?: () => Date } = {}): Recipient {
  const k = typeof key === 'string' ? parseVaultUri(key) : key
  return {
    type: 'hc_vault',
    id: vaultUri(k),
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      let data: Record<string, unknown>
      try {
        data = await vaultWrite(k, 'encrypt', { plaintext: Buffer.from(dataKey).toString('base64') }, opts.env ?? process.env)
      } catch (e) {
        if (e instanceof VaultCallError) throw new RecipientError(`cannot encrypt to ${describeKey(k)}: ${e.message}`)
        throw e
      }
      const ct = data.ciphertext
      if (typeof ct !== 'string' || !ct.startsWith('vault:')) throw new RecipientError(`cannot encrypt to ${describeKey(k)}: the answer has no vault ciphertext`)
      return {
        type: 'hc_vault',
        fields: { created_at: nowRfc3339(opts.now?.()), enc: ct, engine_path: k.enginePath, key_name: k.keyName, vault_address: k.address },
      }
    },
  }
}

/**
 * The Identity that opens `hc_vault` entries by asking their Vault. A failure (no token,
 * permission denied, network) is "not opened" plus a note naming the key and the cause,
 * so other entries and key groups are still tried.
 */
export function createVaultIdentity(opts: { env?: NodeJS.ProcessEnv; onNote?: (line: string) => void; timeoutMs?: number } = {}): Identity {
  const env = opts.env ?? process.env
  return {
    type: 'hc_vault',
    label: `Vault Transit (token from ${env.VAULT_TOKEN ? 'VAULT_TOKEN' : '~/.vault-token'})`,
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      if (entry.type !== 'hc_vault') return null
      const k = vaultKeyOfEntry(entry)
      const enc = entry.fields.enc
      if (!k || !enc) return null
      try {
        const data = await vaultWrite(k, 'decrypt', { ciphertext: enc }, env, opts.timeoutMs)
        const pt = data.plaintext
        if (typeof pt !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(pt)) throw new VaultCallError('the answer has no base64 plaintext')
        const key = Buffer.from(pt, 'base64')
        if (!key.length) throw new VaultCallError('the answer is empty')
        return new Uint8Array(key)
      } catch (e) {
        if (!(e instanceof VaultCallError)) throw e
        opts.onNote?.(`cannot decrypt with ${describeKey(k)}: ${e.message}`)
        return null
      }
    },
  }
}
