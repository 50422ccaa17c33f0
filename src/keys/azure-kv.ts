/**
 * Azure Key Vault master keys (`azure_kv` entries, as sops 3.13 writes them: `created_at`, `enc`,
 * `name`, `vault_url`, `version`): the data key (or a Shamir share) is encrypted by Key Vault with
 * the key's RSA key, algorithm RSA-OAEP-256, through the vault's `encrypt`/`decrypt` operations as
 * sops calls them (so the same access policy, `encrypt decrypt`, works for both tools); `enc` is the
 * result in unpadded base64url, as sops writes it. The official @azure/keyvault-keys
 * CryptographyClient is the client, with @azure/identity's DefaultAzureCredential (environment,
 * workload identity, managed identity, Azure CLI, …). Loaded only when a file or a flag names an
 * Azure Key Vault key.
 */
import { RecipientError } from '../errors.js'
import type { Identity, KeyEntry, Recipient } from './key-source.js'
import { nowRfc3339 } from './created-at.js'
import { defined } from '../defined.js'

export interface AzureKvKey {
  /** `https://NAME.vault.azure.net`, as sops keeps it in `vault_url`. */
  vaultUrl: string
  name: string
  /** The key version; '' until the first wrap when the URL named none (the latest is used and written). */
  version: string
}

// sops' form: https://VAULT/keys/NAME[/VERSION]
const URL_RE = /^(https:\/\/[^/]+)\/keys\/([^/]+)(\/[^/]*)?$/
const EXAMPLE = 'https://VAULT.vault.azure.net/keys/NAME/VERSION'

/** The key's URL as sops prints it (`{vault_url}/keys/{name}/{version}`): its identifier here. */
export const azureKvUrl = (k: AzureKvKey): string => `${k.vaultUrl}/keys/${k.name}/${k.version}`

/** Parses `https://vault/keys/name[/version]` the way sops does; throws RecipientError. */
export function parseAzureKvUrl(input: string): AzureKvKey {
  const s = input.trim()
  const m = URL_RE.exec(s)
  if (!m) throw new RecipientError(`Azure Key Vault key ${JSON.stringify(s.slice(0, 120))} is not a key URL (use ${EXAMPLE})`)
  return { vaultUrl: m[1]!, name: m[2]!, version: m[3] && m[3].length > 1 ? m[3].slice(1) : '' }
}

/** The key named by an `azure_kv` entry (null when its fields are missing). */
export function azureKeyOfEntry(e: KeyEntry): AzureKvKey | null {
  const { vault_url: vaultUrl, name, version } = e.fields
  return vaultUrl && name ? { vaultUrl: vaultUrl.replace(/\/+$/, ''), name, version: version ?? '' } : null
}

// ---------- the SDK ----------

type Crypto = import('@azure/keyvault-keys').CryptographyClient

/** Thrown before any connection when a vault's host is not one of Azure's (see vaultAllowed). */
class AzureHostError extends Error {}

/** Key Vault and Managed HSM domains of Azure's clouds (public, China, US Government). */
const KEY_VAULT_SUFFIXES = ['.vault.azure.net', '.vault.azure.cn', '.vault.usgovcloudapi.net', '.vault.microsoftazure.de', '.managedhsm.azure.net', '.managedhsm.azure.cn', '.managedhsm.usgovcloudapi.net']

/**
 * Which vaults we talk to (and so ask Entra ID for a token for): a host under Azure's Key Vault
 * domains, or one listed in SOPS_AZURE_KV_ALLOWLIST (`all`, or comma-separated `https://host[:port]`
 * origins, for Azure Stack or a private endpoint's own name). sops contacts any host a file names;
 * here a file from someone else (a pull request that `git diff` runs textconv on, `doctor FILE`)
 * cannot make us call, and answer the token challenge of, a server of its choosing.
 */
export function vaultAllowed(vaultUrl: string, env: NodeJS.ProcessEnv): boolean {
  let u: URL
  try {
    u = new URL(vaultUrl)
  } catch {
    return false
  }
  if (u.protocol !== 'https:' || u.username || u.password) return false
  const list = env.SOPS_AZURE_KV_ALLOWLIST?.trim()
  if (list === 'all') return true
  if (list) {
    const listed = list.split(',').map((x) => x.trim().replace(/\/+$/, '').toLowerCase()).filter(Boolean)
    if (listed.includes(u.origin.toLowerCase())) return true
  }
  return !u.port && KEY_VAULT_SUFFIXES.some((d) => u.hostname.toLowerCase().endsWith(d))
}

/**
 * A client for the key. Credentials: a service principal's secret from `env` when given there
 * (library callers; AZURE_AUTHORITY_HOST honoured), else DefaultAzureCredential, which reads the
 * same variables from the process and then tries workload identity, managed identity and the
 * developer tools' logins.
 */
async function client(k: AzureKvKey, env: NodeJS.ProcessEnv): Promise<{ crypto: Crypto; version: string }> {
  if (!vaultAllowed(k.vaultUrl, env)) throw new AzureHostError(`not an Azure Key Vault host (sops-like asks no token for it): add its origin to SOPS_AZURE_KV_ALLOWLIST if you trust it`)
  const [keys, identity] = await Promise.all([import('@azure/keyvault-keys'), import('@azure/identity')])
  const { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: clientId, AZURE_CLIENT_SECRET: secret } = env
  const authorityHost = env.AZURE_AUTHORITY_HOST
  const credential = tenant && clientId && secret
    ? new identity.ClientSecretCredential(tenant, clientId, secret, defined({ authorityHost: authorityHost || undefined }))
    : new identity.DefaultAzureCredential()
  // one retry: the default backs off for a minute when the vault cannot be reached
  const options = { retryOptions: { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } }
  let version = k.version
  if (!version) {
    // no version in the URL: the key's latest, which the entry must name (sops asks the vault the same way)
    const latest = await new keys.KeyClient(k.vaultUrl, credential, options).getKey(k.name)
    version = latest.properties.version ?? ''
    if (!version) throw new Error('the vault did not say which version of the key is current (give the version in the URL)')
  }
  return { crypto: new keys.CryptographyClient(azureKvUrl({ ...k, version }), credential, options), version }
}

/** One line naming the cause (Key Vault's error code and message, or the credential's), without tokens or key material. */
export function azureCause(e: unknown): string {
  const err = e as { name?: string; code?: string; statusCode?: number; message?: string; details?: { error?: { code?: string; message?: string; innererror?: { code?: string } } } }
  const oneLine = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim().slice(0, 200)
  if (e instanceof AzureHostError) return e.message
  if (err.name === 'CredentialUnavailableError' || err.name === 'AggregateAuthenticationError') {
    return 'no Azure credentials found (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, use a managed identity, or run az login)'
  }
  if (err.name === 'AuthenticationError' || err.name === 'AuthenticationRequiredError') {
    // Entra ID's answer: its AADSTS code and first sentence say what is wrong (secret, tenant, app)
    const aad = /AADSTS\d+: [^.]*\./.exec(err.message ?? '')?.[0]
    return `credentials not accepted: ${oneLine(aad ?? (err.message ?? '').split('\n')[0])}`
  }
  const net = err.code && /^E[A-Z_]+$/.test(err.code) ? err.code : /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET)\b/.exec(err.message ?? '')?.[1]
  if (net === 'ECONNREFUSED') return 'connection refused (network)'
  if (net === 'ENOTFOUND' || net === 'EAI_AGAIN') return 'host not found (network)'
  if (net) return `network error (${net})`
  if (err.code === 'REQUEST_SEND_ERROR') return `network error: ${oneLine(err.message)}`
  // the SDK could not read the answer (a proxy's or firewall's error page instead of the vault's)
  if (e instanceof TypeError && err.statusCode === undefined) return 'network error: no answer from the vault (blocked by a proxy or firewall?)'
  const inner = err.details?.error?.innererror?.code
  const msg = oneLine(err.details?.error?.message ?? err.message)
  if (inner === 'KeyDisabled' || /disabled key/i.test(msg)) return `key disabled: ${msg}`
  if (err.statusCode === 403) return `permission denied: ${msg}`
  if (err.statusCode === 401) return `credentials not accepted: ${msg}`
  if (err.statusCode === 404 || err.code === 'KeyNotFound') return `key not found: ${msg}`
  return msg || err.name || 'unknown error'
}

// ---------- Recipient and Identity ----------

const describeKey = (k: AzureKvKey): string => `Azure Key Vault key ${k.version ? azureKvUrl(k) : `${k.vaultUrl}/keys/${k.name}`}`

// Same shape as createKmsRecipient (src/keys/aws-kms.ts) on purpose: each remote key service is one Recipient.
/** A Recipient that wraps for an Azure Key Vault RSA key. */
export function createAzureKvRecipient(key: AzureKvKey | string, opts: { env?: NodeJS.ProcessEnv; now?: () => Date } = {}): Recipient {
  const k = typeof key === 'string' ? parseAzureKvUrl(key) : key
  return {
    type: 'azure_kv',
    id: azureKvUrl(k),
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      let result: Uint8Array | undefined
      let version = k.version
      try {
        const c = await client(k, opts.env ?? process.env)
        version = c.version
        result = (await c.crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: dataKey })).result
      } catch (e) {
        throw new RecipientError(`cannot encrypt to ${describeKey(k)}: ${azureCause(e)}`)
      }
      if (!result?.length) throw new RecipientError(`cannot encrypt to ${describeKey(k)}: the answer has no ciphertext`)
      return {
        type: 'azure_kv',
        fields: { created_at: nowRfc3339(opts.now?.()), enc: Buffer.from(result).toString('base64url'), name: k.name, vault_url: k.vaultUrl, version },
      }
    },
  }
}

/** Opens `azure_kv` entries; a failure is "not opened" plus a note naming the key and the cause. */
export function createAzureKvIdentity(opts: { env?: NodeJS.ProcessEnv; onNote?: (line: string) => void } = {}): Identity {
  const env = opts.env ?? process.env
  return {
    type: 'azure_kv',
    label: 'Azure Key Vault (DefaultAzureCredential)',
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      if (entry.type !== 'azure_kv') return null
      const k = azureKeyOfEntry(entry)
      const enc = entry.fields.enc?.replace(/=+$/, '')
      if (!k || !enc || !/^https:\/\/[^/]+$/.test(k.vaultUrl)) return null
      if (!/^[A-Za-z0-9_-]+$/.test(enc)) {
        opts.onNote?.(`cannot decrypt with ${describeKey(k)}: its enc is not base64url`)
        return null
      }
      try {
        const c = await client(k, env)
        const r = await c.crypto.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: new Uint8Array(Buffer.from(enc, 'base64url')) })
        return r.result?.length ? new Uint8Array(r.result) : null
      } catch (e) {
        opts.onNote?.(`cannot decrypt with ${describeKey(k)}: ${azureCause(e)}`)
        return null
      }
    },
  }
}
