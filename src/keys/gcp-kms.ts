/**
 * Google Cloud KMS master keys (`gcp_kms` entries, as sops 3.13 writes them: `created_at`, `enc` =
 * standard base64 of KMS's ciphertext, `resource_id`): the data key (or a Shamir share) is
 * encrypted by KMS under the key's resource name. The official @google-cloud/kms client is the
 * client, in its HTTP/1.1 REST mode (`fallback`: `POST /v1/{resource_id}:encrypt|decrypt`), so no
 * gRPC connection is made and the CLI bundle leaves gRPC out (scripts/bundle.mjs). Credentials as
 * sops finds them: GOOGLE_CREDENTIALS (a file or the JSON itself), else GOOGLE_OAUTH_ACCESS_TOKEN,
 * else the library's Application Default Credentials. Loaded only when a file or a flag names a
 * GCP KMS key.
 */
import { existsSync, readFileSync } from 'node:fs'
import { RecipientError } from '../errors.js'
import type { Identity, KeyEntry, Recipient } from './key-source.js'
import { nowRfc3339 } from './created-at.js'

export interface GcpKmsKey {
  /** `projects/P/locations/L/keyRings/R/cryptoKeys/K`, as sops keeps it in `resource_id`. */
  resourceId: string
}

// each segment one path segment that the request URL keeps as it is: no `.`/`..` (URL normalisation
// would send the call to another path than the key shown) and no `\` (read as `/` by URL parsers)
const SEG = '(?!\\.{1,2}/)[^/\\\\]+'
const RESOURCE_RE = new RegExp(`^projects/${SEG}/locations/${SEG}/keyRings/${SEG}/cryptoKeys/(?!\\.{1,2}$)[^/\\\\]+$`)
const EXAMPLE = 'projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY'

/** A resource id as sops takes it (spaces removed); throws RecipientError when it is not a crypto key's name. */
export function parseGcpKmsId(input: string): GcpKmsKey {
  const resourceId = input.replace(/ /g, '').trim()
  if (!RESOURCE_RE.test(resourceId)) throw new RecipientError(`GCP KMS key ${JSON.stringify(resourceId.slice(0, 120))} is not a key resource id (use ${EXAMPLE})`)
  return { resourceId }
}

export const gcpKeyOfEntry = (e: KeyEntry): GcpKmsKey | null => (e.fields.resource_id ? { resourceId: e.fields.resource_id } : null)

// ---------- the SDK ----------

type KmsClient = import('@google-cloud/kms/build/src/v1/key_management_service_client.js').KeyManagementServiceClient

/** Thrown for set-up problems we can name ourselves (bad GOOGLE_CREDENTIALS, bad endpoint). */
class GcpSetupError extends Error {}

/**
 * SOPS_GCP_KMS_ENDPOINT (as sops reads it) points the client elsewhere: a sovereign cloud's
 * endpoint, a private endpoint, a local test server (`http://127.0.0.1:PORT`). Without a scheme it
 * is `host[:port]` over HTTPS.
 */
function endpointOptions(env: NodeJS.ProcessEnv): { apiEndpoint?: string; port?: number; protocol?: string; universeDomain?: string } {
  const raw = env.SOPS_GCP_KMS_ENDPOINT?.trim()
  if (!raw) return env.SOPS_GCP_KMS_UNIVERSE_DOMAIN ? { universeDomain: env.SOPS_GCP_KMS_UNIVERSE_DOMAIN.trim() } : {}
  let u: URL
  try {
    u = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `https://${raw}`)
  } catch {
    throw new GcpSetupError(`SOPS_GCP_KMS_ENDPOINT ${JSON.stringify(raw.slice(0, 80))} is not a host or URL`)
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new GcpSetupError('SOPS_GCP_KMS_ENDPOINT must be an http(s) URL or host[:port]')
  return { apiEndpoint: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443, protocol: u.protocol.slice(0, -1) }
}

/** GOOGLE_CREDENTIALS as sops reads it: a path to a credentials file, or the JSON itself. */
function credentialsJson(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const v = env.GOOGLE_CREDENTIALS
  if (!v) return undefined
  let text = v
  try {
    if (existsSync(v)) text = readFileSync(v, 'utf8')
  } catch {
    throw new GcpSetupError('cannot read the file GOOGLE_CREDENTIALS names')
  }
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new GcpSetupError('GOOGLE_CREDENTIALS is neither a readable file nor JSON credentials')
  }
}

async function client(env: NodeJS.ProcessEnv): Promise<KmsClient> {
  const { KeyManagementServiceClient } = await import('@google-cloud/kms/build/src/v1/key_management_service_client.js')
  const base = { fallback: true as const, ...endpointOptions(env) }
  const creds = credentialsJson(env)
  if (creds) return new KeyManagementServiceClient({ ...base, credentials: creds as never })
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim()
  if (token) {
    // a fixed access token (sops' GOOGLE_OAUTH_ACCESS_TOKEN): the library's OAuth2 user client holding only it (no refresh token, never refreshed)
    const c = new KeyManagementServiceClient({ ...base, credentials: { type: 'authorized_user', client_id: 'sops-like', client_secret: '-', refresh_token: '-' } as never })
    const authClient = await c.auth.getClient()
    authClient.setCredentials({ access_token: token })
    return c
  }
  // the library's Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud's, the metadata server
  return new KeyManagementServiceClient(base)
}

/** Calls without retries and with a bounded wait (the library's default retries UNAVAILABLE for a minute). */
const CALL_OPTIONS = { timeout: 30_000, retry: { retryCodes: [], backoffSettings: { maxRetries: 0 } } } as never

/** Google's error statuses, as the REST answer names them (`error.status`) or gRPC codes number them. */
const STATUS: Record<string, string> = {
  INVALID_ARGUMENT: 'refused (invalid argument; a ciphertext made with another key?)',
  DEADLINE_EXCEEDED: 'no answer in time',
  NOT_FOUND: 'key not found',
  PERMISSION_DENIED: 'permission denied',
  FAILED_PRECONDITION: 'key disabled (its version is not enabled)',
  UNAVAILABLE: 'service unavailable',
  UNAUTHENTICATED: 'credentials not accepted',
}
const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED']
const HTTP_STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' }

/** One line naming the cause (Google's status and message, without tokens or key material). */
export function gcpCause(e: unknown): string {
  if (e instanceof GcpSetupError) return e.message
  const err = e as { code?: number | string; status?: number; message?: string; cause?: { code?: string }; error?: { code?: string } }
  const netCode = [err.code, err.cause?.code, err.error?.code].find((c): c is string => typeof c === 'string' && /^E[A-Z_]+$/.test(c))
  if (netCode === 'ECONNREFUSED') return 'connection refused (network)'
  if (netCode === 'ENOTFOUND' || netCode === 'EAI_AGAIN') return 'host not found (network)'
  if (netCode === 'ETIMEDOUT' || netCode === 'ECONNRESET') return `network error (${netCode})`
  let msg = (err.message ?? '').replace(/\s+/g, ' ').trim()
  let status: string | undefined
  // the REST answer's error JSON, which the client passes on as the message
  try {
    const j = JSON.parse(msg) as { error?: { status?: string; message?: string } }
    if (j.error) { status = j.error.status; msg = (j.error.message ?? '').replace(/\s+/g, ' ').trim() }
  } catch { /* not JSON */ }
  if (!status && typeof err.code === 'number') status = err.code >= 100 ? HTTP_STATUS[err.code] : GRPC_CODES[err.code]
  if (!status && typeof err.status === 'number') status = HTTP_STATUS[err.status]
  msg = msg.replace(/^\d+ [A-Z_]+: /, '')
  if (/Could not load the default credentials|Could not refresh access token|invalid_grant/i.test(msg)) return 'no Google credentials found (set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN, or run gcloud auth application-default login)'
  if (/fetch failed|ECONNREFUSED|socket hang up/i.test(msg)) return /ECONNREFUSED/.test(msg) ? 'connection refused (network)' : 'network error'
  const kind = status ? STATUS[status] ?? status : undefined
  const detail = msg.slice(0, 200)
  if (kind) return detail ? `${kind}: ${detail}` : kind
  return detail || 'unknown error'
}

// ---------- Recipient and Identity ----------

const describeKey = (k: GcpKmsKey): string => `GCP KMS key ${k.resourceId}`

// Same shape as createKmsRecipient (src/keys/aws-kms.ts) on purpose: each remote key service is one Recipient.
/** A Recipient that wraps for a GCP KMS crypto key. */
export function createGcpKmsRecipient(key: GcpKmsKey | string, opts: { env?: NodeJS.ProcessEnv; now?: () => Date } = {}): Recipient {
  const k = typeof key === 'string' ? parseGcpKmsId(key) : key
  return {
    type: 'gcp_kms',
    id: k.resourceId,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      let ct: Uint8Array | string | null | undefined
      let c: KmsClient | undefined
      try {
        c = await client(opts.env ?? process.env)
        const [r] = await c.encrypt({ name: k.resourceId, plaintext: Buffer.from(dataKey) }, CALL_OPTIONS)
        ct = r.ciphertext
      } catch (e) {
        throw new RecipientError(`cannot encrypt to ${describeKey(k)}: ${gcpCause(e)}`)
      } finally {
        void c?.close().catch(() => {})
      }
      const blob = typeof ct === 'string' ? Buffer.from(ct, 'base64') : ct ? Buffer.from(ct) : undefined
      if (!blob?.length) throw new RecipientError(`cannot encrypt to ${describeKey(k)}: the answer has no ciphertext`)
      return { type: 'gcp_kms', fields: { created_at: nowRfc3339(opts.now?.()), enc: blob.toString('base64'), resource_id: k.resourceId } }
    },
  }
}

/** Opens `gcp_kms` entries; a failure is "not opened" plus a note naming the key and the cause. */
export function createGcpKmsIdentity(opts: { env?: NodeJS.ProcessEnv; onNote?: (line: string) => void } = {}): Identity {
  const env = opts.env ?? process.env
  return {
    type: 'gcp_kms',
    label: `GCP KMS (${env.GOOGLE_CREDENTIALS ? 'GOOGLE_CREDENTIALS' : env.GOOGLE_OAUTH_ACCESS_TOKEN ? 'GOOGLE_OAUTH_ACCESS_TOKEN' : 'Application Default Credentials'})`,
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      if (entry.type !== 'gcp_kms') return null
      const k = gcpKeyOfEntry(entry)
      const enc = entry.fields.enc
      if (!k || !enc || !RESOURCE_RE.test(k.resourceId)) return null
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(enc)) {
        opts.onNote?.(`cannot decrypt with ${describeKey(k)}: its enc is not base64`)
        return null
      }
      let c: KmsClient | undefined
      try {
        c = await client(env)
        const [r] = await c.decrypt({ name: k.resourceId, ciphertext: Buffer.from(enc, 'base64') }, CALL_OPTIONS)
        const pt = r.plaintext
        const key = typeof pt === 'string' ? Buffer.from(pt, 'base64') : pt ? Buffer.from(pt) : undefined
        return key?.length ? new Uint8Array(key) : null
      } catch (e) {
        opts.onNote?.(`cannot decrypt with ${describeKey(k)}: ${gcpCause(e)}`)
        return null
      } finally {
        void c?.close().catch(() => {})
      }
    },
  }
}
