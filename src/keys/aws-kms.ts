/**
 * AWS KMS master keys (`kms` entries, as sops 3.13 writes them: `arn`, `aws_profile`,
 * `context`, `created_at`, `enc` = base64 CiphertextBlob, `role`): the data key (or a Shamir
 * share) is encrypted by KMS under the key's ARN with the entry's encryption context. The
 * official @aws-sdk/client-kms is the client, with the SDK's standard credential chain (a
 * profile when the entry names one; STS AssumeRole when it names a role); loaded only when a
 * file or a flag names a KMS key.
 */
import { RecipientError } from '../errors.js'
import type { Identity, KeyEntry, Recipient } from './key-source.js'
import { nowRfc3339 } from './created-at.js'
import { defined } from '../defined.js'
import type { KMSClientConfig } from '@aws-sdk/client-kms'

export interface KmsKey {
  arn: string
  role?: string
  /** Encryption context (sorted keys when written). */
  context?: Record<string, string>
  profile: string
}

const ARN_RE = /^arn:aws[\w-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/.+$/
const ROLE_RE = /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/

/** `arn:aws:kms:…:key/…` or `arn…+arn:aws:iam::…:role/…` (sops' command-line form); throws RecipientError. */
export function parseKmsArn(input: string, opts: { context?: Record<string, string>; profile?: string } = {}): KmsKey {
  const s = input.trim()
  const plus = s.indexOf('+')
  const arn = plus >= 0 ? s.slice(0, plus) : s
  const role = plus >= 0 ? s.slice(plus + 1) : undefined
  if (!ARN_RE.test(arn)) throw new RecipientError(`AWS KMS key ${JSON.stringify(arn.slice(0, 100))} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)`)
  if (role !== undefined && !ROLE_RE.test(role)) throw new RecipientError(`AWS KMS key ${arn}: ${JSON.stringify(role.slice(0, 100))} is not an IAM role ARN`)
  const k: KmsKey = { arn, profile: opts.profile ?? '' }
  if (role) k.role = role
  if (opts.context && Object.keys(opts.context).length) k.context = opts.context
  return k
}

/** `k1:v1,k2:v2` (sops' --encryption-context); throws RecipientError. */
export function parseEncryptionContext(s: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const i = part.indexOf(':')
    if (i <= 0) throw new RecipientError(`encryption context entry ${JSON.stringify(part.slice(0, 60))} is not key:value`)
    out[part.slice(0, i)] = part.slice(i + 1)
  }
  return out
}

export const kmsKeyOfEntry = (e: KeyEntry): KmsKey | null => {
  const arn = e.fields.arn
  if (!arn) return null
  const k: KmsKey = { arn, profile: e.fields.aws_profile ?? '' }
  if (e.fields.role) k.role = e.fields.role
  const ctx = e.nested?.context
  if (ctx && Object.keys(ctx).length) k.context = { ...ctx }
  return k
}

const region = (arn: string): string => ARN_RE.exec(arn)![1]!

// ---------- the SDK ----------

type KmsModule = typeof import('@aws-sdk/client-kms')

/**
 * A client for the key's region. Credentials: the profile named by the entry, else static
 * keys from `env` when given there (library callers, tests), else the SDK's default chain;
 * a role is assumed over STS with them. AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL from `env`
 * point the client elsewhere (a local test server, a VPC endpoint).
 */
async function client(k: KmsKey, env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<{ kms: KmsModule; send: InstanceType<KmsModule['KMSClient']> }> {
  // the SDK warns on every start under Node 20 (its own support plan, not a problem of this file): keep stderr for our messages
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const kms = await import('@aws-sdk/client-kms')
  const endpoint = env.AWS_ENDPOINT_URL_KMS || env.AWS_ENDPOINT_URL
  let credentials: KMSClientConfig['credentials']
  if (k.profile) {
    // the client's own `profile` setting reads ~/.aws/config and credentials for it
  } else if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...defined({ sessionToken: env.AWS_SESSION_TOKEN || undefined }) }
  }
  if (k.role) {
    const sts = await import('@aws-sdk/nested-clients/sts')
    const stsClient = new sts.STSClient({ region: region(k.arn), ...defined({ profile: k.profile || undefined, credentials, endpoint: env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || undefined }) })
    credentials = async () => {
      const r = await stsClient.send(new sts.AssumeRoleCommand({ RoleArn: k.role!, RoleSessionName: `sops-like@${(await import('node:os')).hostname().replace(/[^\w+=,.@-]/g, '').slice(0, 40) || 'host'}` }))
      const c = r.Credentials
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials')
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...defined({ sessionToken: c.SessionToken || undefined, expiration: c.Expiration }) }
    }
  }
  // a caller's deadline (doctor): one attempt, and the connection and the answer each bounded by it
  const limits = timeoutMs ? { maxAttempts: 1, requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true } } : { maxAttempts: 2 }
  const send = new kms.KMSClient({ region: region(k.arn), ...limits, ...defined({ profile: (!k.role && k.profile) || undefined, endpoint: endpoint || undefined, credentials }) })
  return { kms, send }
}

/** One line naming the cause (the SDK's error name and message, without request ids or secrets). */
function cause(e: unknown): string {
  const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } }
  const name = err.name ?? 'Error'
  const what: Record<string, string> = {
    AccessDeniedException: 'permission denied',
    NotFoundException: 'key not found',
    DisabledException: 'key disabled',
    KMSInvalidStateException: 'key not usable in its current state (pending deletion?)',
    InvalidCiphertextException: 'ciphertext or encryption context does not match',
    IncorrectKeyException: 'ciphertext was made with another key',
    UnrecognizedClientException: 'credentials not recognized',
    InvalidSignatureException: 'credentials rejected (signature)',
    CredentialsProviderError: 'no AWS credentials found (set AWS_PROFILE, AWS_ACCESS_KEY_ID… or run aws sso login)',
    ExpiredTokenException: 'credentials expired',
  }
  if (what[name]) return what[name]!
  if (err.code === 'ECONNREFUSED') return 'connection refused'
  if (err.code === 'ENOTFOUND') return 'host not found'
  return `${name}${err.message ? `: ${err.message.replace(/\s+/g, ' ').slice(0, 160)}` : ''}`
}

// ---------- Recipient and Identity ----------

export const kmsId = (k: KmsKey): string => k.arn

// Same shape as createVaultRecipient (src/keys/hc-vault.ts) on purpose: each remote key service is one Recipient.
export function createKmsRecipient(key: KmsKey | string, opts: { env?: NodeJS.ProcessEnv; now?: () => Date } = {}): Recipient {
  const k = typeof key === 'string' ? parseKmsArn(key) : key
  return {
    type: 'kms',
    id: kmsId(k),
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      let blob: Uint8Array | undefined
      try {
        const { kms, send } = await client(k, opts.env ?? process.env)
        const r = await send.send(new kms.EncryptCommand({ KeyId: k.arn, Plaintext: dataKey, ...defined({ EncryptionContext: k.context }) }))
        blob = r.CiphertextBlob
      } catch (e) {
        throw new RecipientError(`cannot encrypt to AWS KMS key ${k.arn}: ${cause(e)}`)
      }
      if (!blob?.length) throw new RecipientError(`cannot encrypt to AWS KMS key ${k.arn}: the answer has no ciphertext`)
      const fields: Record<string, string> = { arn: k.arn, aws_profile: k.profile, created_at: nowRfc3339(opts.now?.()), enc: Buffer.from(blob).toString('base64') }
      if (k.role) fields.role = k.role
      return { type: 'kms', fields, ...defined({ nested: k.context ? { context: { ...k.context } } : undefined }) }
    },
  }
}

/** Opens `kms` entries; a failure is "not opened" plus a note naming the key and the cause. */
export function createKmsIdentity(opts: { env?: NodeJS.ProcessEnv; onNote?: (line: string) => void; timeoutMs?: number } = {}): Identity {
  const env = opts.env ?? process.env
  return {
    type: 'kms',
    label: 'AWS KMS (SDK credential chain)',
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      if (entry.type !== 'kms') return null
      const k = kmsKeyOfEntry(entry)
      const enc = entry.fields.enc
      if (!k || !enc || !ARN_RE.test(k.arn)) return null
      try {
        const { kms, send } = await client(k, env, opts.timeoutMs)
        const r = await send.send(new kms.DecryptCommand({ KeyId: k.arn, CiphertextBlob: new Uint8Array(Buffer.from(enc, 'base64')), ...defined({ EncryptionContext: k.context }) }))
        return r.Plaintext?.length ? new Uint8Array(r.Plaintext) : null
      } catch (e) {
        opts.onNote?.(`cannot decrypt with AWS KMS key ${k.arn}: ${cause(e)}`)
        return null
      }
    },
  }
}
