/**
 * `doctor`: where each key service's client would find credentials, checked from the
 * environment and well-known files only — no network, no SDK — so the report can say
 * "no Vault token" or "AWS: profile prod in ~/.aws/credentials" before any request is
 * made. One entry per service in SERVICE_CREDENTIALS; a new service is one more entry.
 * Sources are named by variable or path, never by value: a token, key or secret is never
 * read into the report (a file is only tested for existence, or for a `[profile]` header).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { KeyEntry } from '../../keys/key-source.js'
import { defined } from '../../defined.js'

/** One place a service's client looks for credentials. */
export interface CredentialSource {
  /** The variable or file, e.g. `VAULT_TOKEN`, `~/.vault-token`, `AWS_PROFILE=prod (~/.aws/credentials)`. */
  name: string
  /** found: usable credentials (as far as can be told offline); not-set/absent: nothing there; info: a remark (e.g. instance metadata, not probed). */
  state: 'found' | 'not-set' | 'absent' | 'info' | 'warn'
  /** A public remark (never a value). */
  detail?: string
}

export interface CredentialCheck {
  /** Whether some source holds credentials (offline judgement: metadata services are not probed). */
  found: boolean
  sources: CredentialSource[]
}

export interface CredentialContext {
  env: NodeJS.ProcessEnv
  home: string
  /** The entry being checked (its profile, its server). */
  entry: KeyEntry
}

type Checker = (c: CredentialContext) => CredentialCheck

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}
const tilde = (p: string, home: string): string => (home && p.startsWith(home + '/') ? `~${p.slice(home.length)}` : p)
const setVar = (env: NodeJS.ProcessEnv, name: string): CredentialSource => ({ name, state: env[name] ? 'found' : 'not-set' })
const onPath = (env: NodeJS.ProcessEnv, program: string): boolean => (env.PATH ?? '').split(delimiter).some((d) => d && isFile(join(d, program)))

// ---------- HashiCorp Vault ----------

function vault({ env, home, entry }: CredentialContext): CredentialCheck {
  const tokenFile = join(home, '.vault-token')
  const sources: CredentialSource[] = [setVar(env, 'VAULT_TOKEN')]
  sources.push({ name: tilde(tokenFile, home), state: isFile(tokenFile) ? 'found' : 'absent', ...defined({ detail: env.VAULT_TOKEN && isFile(tokenFile) ? 'not used: VAULT_TOKEN wins' : undefined }) })
  const address = (entry.fields.vault_address ?? '').replace(/\/+$/, '')
  // the token goes only to VAULT_ADDR's server or the allowlist (src/keys/hc-vault.ts)
  const list = env.SOPS_HC_VAULT_ALLOWLIST?.trim()
  let sameServer = false
  try { sameServer = !!env.VAULT_ADDR && !!address && new URL(env.VAULT_ADDR).origin === new URL(address).origin } catch { /* not a URL */ }
  if (list) sources.push({ name: 'SOPS_HC_VAULT_ALLOWLIST', state: 'info', detail: list === 'none' ? 'none: the token is sent nowhere' : 'set: the token goes to the servers it lists' })
  else if (!env.VAULT_ADDR) sources.push({ name: 'VAULT_ADDR', state: 'warn', detail: `not set: the token is not sent to ${address || 'the file\'s server'} (set VAULT_ADDR=${address || 'https://…'})` })
  else sources.push({ name: 'VAULT_ADDR', state: sameServer ? 'found' : 'warn', detail: sameServer ? `${new URL(env.VAULT_ADDR).origin}, the entry's server` : `${env.VAULT_ADDR.slice(0, 80)} is not the entry's server ${address}: the token is not sent there (or set SOPS_HC_VAULT_ALLOWLIST)` })
  if (env.VAULT_NAMESPACE) sources.push({ name: 'VAULT_NAMESPACE', state: 'info', detail: env.VAULT_NAMESPACE.slice(0, 80) })
  const token = !!env.VAULT_TOKEN || isFile(tokenFile)
  return { found: token && (list ? list !== 'none' : sameServer), sources }
}

// ---------- AWS (the SDK's default chain, in its order) ----------

/** Whether an ini-style AWS file has `[name]` or `[profile name]`. */
function hasProfile(path: string, profile: string): boolean {
  let text: string
  try { text = readFileSync(path, 'utf8') } catch { return false }
  const esc = profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^\\s*\\[\\s*(profile\\s+)?${esc}\\s*\\]`, 'm').test(text)
}

function aws({ env, home, entry }: CredentialContext): CredentialCheck {
  const sources: CredentialSource[] = []
  const keys = !!env.AWS_ACCESS_KEY_ID && !!env.AWS_SECRET_ACCESS_KEY
  sources.push({ name: 'AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY', state: keys ? 'found' : env.AWS_ACCESS_KEY_ID || env.AWS_SECRET_ACCESS_KEY ? 'warn' : 'not-set', ...defined({ detail: !keys && (env.AWS_ACCESS_KEY_ID || env.AWS_SECRET_ACCESS_KEY) ? 'only one of the two is set' : undefined }) })
  const profile = entry.fields.aws_profile || env.AWS_PROFILE || 'default'
  const credFile = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials')
  const confFile = env.AWS_CONFIG_FILE || join(home, '.aws', 'config')
  const inFiles = [credFile, confFile].filter((f) => hasProfile(f, profile))
  const from = entry.fields.aws_profile ? 'the entry\'s aws_profile' : env.AWS_PROFILE ? 'AWS_PROFILE' : 'the default profile'
  sources.push({ name: `profile ${profile} (${from})`, state: inFiles.length ? 'found' : 'absent', detail: inFiles.length ? `in ${inFiles.map((f) => tilde(f, home)).join(' and ')}` : `not in ${tilde(credFile, home)} or ${tilde(confFile, home)}` })
  const webIdentity = !!env.AWS_WEB_IDENTITY_TOKEN_FILE && !!env.AWS_ROLE_ARN
  sources.push({ name: 'AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN', state: webIdentity ? (existsSync(env.AWS_WEB_IDENTITY_TOKEN_FILE!) ? 'found' : 'warn') : 'not-set', ...defined({ detail: webIdentity && !existsSync(env.AWS_WEB_IDENTITY_TOKEN_FILE!) ? 'the token file does not exist' : undefined }) })
  const container = !!env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || !!env.AWS_CONTAINER_CREDENTIALS_FULL_URI
  sources.push({ name: 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI (ECS, EKS)', state: container ? 'found' : 'not-set' })
  const imds = !/^true$/i.test(env.AWS_EC2_METADATA_DISABLED ?? '')
  sources.push({ name: 'EC2 instance metadata', state: 'info', detail: imds ? 'tried last by the SDK on EC2 (not probed here)' : 'disabled by AWS_EC2_METADATA_DISABLED' })
  if (entry.fields.role) sources.push({ name: 'role', state: 'info', detail: `${entry.fields.role} is assumed with the credentials above (STS AssumeRole)` })
  if (env.AWS_ENDPOINT_URL_KMS || env.AWS_ENDPOINT_URL) sources.push({ name: env.AWS_ENDPOINT_URL_KMS ? 'AWS_ENDPOINT_URL_KMS' : 'AWS_ENDPOINT_URL', state: 'info', detail: `KMS requests go to ${(env.AWS_ENDPOINT_URL_KMS || env.AWS_ENDPOINT_URL)!.slice(0, 80)}` })
  return { found: keys || inFiles.length > 0 || (webIdentity && existsSync(env.AWS_WEB_IDENTITY_TOKEN_FILE!)) || container, sources }
}

// ---------- GCP (Application Default Credentials) ----------

function gcp({ env, home }: CredentialContext): CredentialCheck {
  const sources: CredentialSource[] = [setVar(env, 'GOOGLE_OAUTH_ACCESS_TOKEN')]
  const gac = env.GOOGLE_APPLICATION_CREDENTIALS
  sources.push(gac ? { name: 'GOOGLE_APPLICATION_CREDENTIALS', state: isFile(gac) ? 'found' : 'warn', detail: isFile(gac) ? tilde(gac, home) : `${tilde(gac, home)} does not exist` } : { name: 'GOOGLE_APPLICATION_CREDENTIALS', state: 'not-set' })
  const adc = join(env.CLOUDSDK_CONFIG || join(env.XDG_CONFIG_HOME || join(home, '.config'), 'gcloud'), 'application_default_credentials.json')
  sources.push({ name: 'gcloud application-default credentials', state: isFile(adc) ? 'found' : 'absent', detail: isFile(adc) ? tilde(adc, home) : `${tilde(adc, home)} (run gcloud auth application-default login)` })
  sources.push({ name: 'GCE metadata server', state: 'info', detail: 'tried last on Google Cloud (not probed here)' })
  return { found: !!env.GOOGLE_OAUTH_ACCESS_TOKEN || (!!gac && isFile(gac)) || isFile(adc), sources }
}

// ---------- Azure (DefaultAzureCredential's chain) ----------

function azure({ env, home }: CredentialContext): CredentialCheck {
  const sources: CredentialSource[] = []
  const app = !!env.AZURE_TENANT_ID && !!env.AZURE_CLIENT_ID
  const how = env.AZURE_CLIENT_SECRET ? 'client secret' : env.AZURE_CLIENT_CERTIFICATE_PATH ? 'client certificate' : env.AZURE_USERNAME && env.AZURE_PASSWORD ? 'username and password' : ''
  const some = app || !!how || !!env.AZURE_TENANT_ID || !!env.AZURE_CLIENT_ID
  sources.push({ name: 'AZURE_TENANT_ID + AZURE_CLIENT_ID + secret/certificate', state: app && how ? 'found' : some ? 'warn' : 'not-set', ...defined({ detail: app && how ? how : some ? 'incomplete: needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH' : undefined }) })
  const federated = !!env.AZURE_FEDERATED_TOKEN_FILE && app
  sources.push({ name: 'AZURE_FEDERATED_TOKEN_FILE (workload identity)', state: federated ? 'found' : 'not-set' })
  const managed = !!env.IDENTITY_ENDPOINT || !!env.MSI_ENDPOINT
  sources.push({ name: 'managed identity (IDENTITY_ENDPOINT / MSI_ENDPOINT)', state: managed ? 'found' : 'info', ...defined({ detail: managed ? undefined : 'on an Azure VM the instance metadata is tried (not probed here)' }) })
  const azDir = env.AZURE_CONFIG_DIR || join(home, '.azure')
  const loggedIn = isFile(join(azDir, 'azureProfile.json')) && (isFile(join(azDir, 'msal_token_cache.json')) || isFile(join(azDir, 'msal_token_cache.bin')) || isFile(join(azDir, 'accessTokens.json')))
  const az = onPath(env, 'az')
  sources.push({ name: 'az CLI login', state: loggedIn && az ? 'found' : 'absent', detail: loggedIn ? (az ? tilde(azDir, home) : `${tilde(azDir, home)} holds a login but az is not on PATH`) : `no login in ${tilde(azDir, home)} (run az login)` })
  return { found: (app && !!how) || federated || managed || (loggedIn && az), sources }
}

/** Per entry type: the service's name and its offline credential check. */
export const SERVICE_CREDENTIALS: Readonly<Record<string, { service: string; check: Checker }>> = {
  hc_vault: { service: 'HashiCorp Vault', check: vault },
  kms: { service: 'AWS KMS', check: aws },
  gcp_kms: { service: 'GCP KMS', check: gcp },
  azure_kv: { service: 'Azure Key Vault', check: azure },
}
