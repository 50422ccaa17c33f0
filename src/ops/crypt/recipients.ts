/**
 * Decides who a file is encrypted to: flags and SOPS_AGE_RECIPIENTS / SOPS_PGP_FP win
 * over the config; otherwise the file's creation rule (flat keys or key groups).
 */
import { isAbsolute, join, resolve } from 'node:path'
import { ConfigError, NoMatchingRuleError, NoRecipientsError } from '../../errors.js'
import type { Selectors } from '../../core/selection.js'
import { SELECTOR_KEYS } from '../../core/selection.js'
import { loadConfigFor, matchRule } from '../../config/rules.js'
import type { Config, CreationRule, KmsSpec } from '../../config/schema.js'
import { createAgeRecipient } from '../../keys/age.js'
import type { Recipient } from '../../keys/key-source.js'
import { readRecipientsFile } from '../../keys/recipients-file.js'
import { ConflictingOptionsError } from '../../errors.js'
import { defined } from '../../defined.js'

export interface RecipientOptions {
  /** age recipients (flag `--age`, comma-separated entries allowed). */
  age?: string[]
  /** PGP fingerprints (flag `--pgp`). */
  pgp?: string[]
  /** age recipients files (flag `--age-recipients-file`). */
  ageRecipientsFiles?: string[]
  /** Armored PGP public key files (flag `--pgp-key-file`). */
  pgpKeyFiles?: string[]
  /** HashiCorp Vault Transit key URIs (flag `--hc-vault-transit`, comma-separated entries allowed). */
  hcVaultTransit?: string[]
  /** AWS KMS key ARNs (flag `--kms`; `arn+role` allowed), with `--encryption-context k:v,…` and `--aws-profile`. */
  kms?: string[]
  encryptionContext?: string
  awsProfile?: string
  /** GCP KMS key resource ids (flag `--gcp-kms`, comma-separated entries allowed). */
  gcpKms?: string[]
  /** Azure Key Vault key URLs, `https://VAULT/keys/NAME[/VERSION]` (flag `--azure-kv`, comma-separated entries allowed). */
  azureKv?: string[]
  /** Selector flags (override the rule's). */
  selectors?: Selectors
  shamirThreshold?: number
  /** `--config` path. */
  configPath?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface ResolvedKeys {
  groups: Recipient[][]
  threshold?: number
  selectors: Selectors
  rule: CreationRule | null
  config: Config | null
}

const split = (xs: string[] | undefined): string[] => (xs ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)

async function pgpRecipients(fps: string[], keyFiles: string[], env: NodeJS.ProcessEnv): Promise<Recipient[]> {
  if (!fps.length) return []
  const { createPgpRecipient } = await import('../../keys/pgp.js')
  return fps.map((fp) => createPgpRecipient(fp, { keyFiles, env }))
}

async function vaultRecipients(uris: string[], env: NodeJS.ProcessEnv): Promise<Recipient[]> {
  if (!uris.length) return []
  const { createVaultRecipient } = await import('../../keys/hc-vault.js')
  return uris.map((u) => createVaultRecipient(u, { env }))
}

async function kmsRecipients(specs: KmsSpec[], env: NodeJS.ProcessEnv): Promise<Recipient[]> {
  if (!specs.length) return []
  const { createKmsRecipient, parseKmsArn } = await import('../../keys/aws-kms.js')
  return specs.map((k) => createKmsRecipient(parseKmsArn(k.role ? `${k.arn}+${k.role}` : k.arn, defined({ context: k.context, profile: k.awsProfile || undefined })), { env }))
}

async function gcpRecipients(ids: string[], env: NodeJS.ProcessEnv): Promise<Recipient[]> {
  if (!ids.length) return []
  const { createGcpKmsRecipient } = await import('../../keys/gcp-kms.js')
  return ids.map((id) => createGcpKmsRecipient(id, { env }))
}

async function azureRecipients(urls: string[], env: NodeJS.ProcessEnv): Promise<Recipient[]> {
  if (!urls.length) return []
  const { createAzureKvRecipient } = await import('../../keys/azure-kv.js')
  return urls.map((u) => createAzureKvRecipient(u, { env }))
}

async function kmsFromArns(arns: string[], context: string | undefined, profile: string | undefined): Promise<KmsSpec[]> {
  if (!arns.length) return []
  const ctx = context ? (await import('../../keys/aws-kms.js')).parseEncryptionContext(context) : undefined
  return arns.map((a) => {
    const plus = a.indexOf('+')
    return { arn: plus >= 0 ? a.slice(0, plus) : a, ...defined({ role: plus >= 0 ? a.slice(plus + 1) : undefined, context: ctx && Object.keys(ctx).length ? ctx : undefined, awsProfile: profile || undefined }) }
  })
}

export async function resolveRecipients(filePath: string, opts: RecipientOptions = {}): Promise<ResolvedKeys> {
  const env = opts.env ?? process.env
  const config = loadConfigFor(filePath, { ...defined({ explicit: opts.configPath, cwd: opts.cwd }), env })
  const fileAge = [...split(opts.age), ...(opts.ageRecipientsFiles ?? []).flatMap(readRecipientsFile)]
  const flagPgp = split(opts.pgp).map((f) => f.replace(/\s+/g, '').toUpperCase())
  const envAge = split(env.SOPS_AGE_RECIPIENTS ? [env.SOPS_AGE_RECIPIENTS] : [])
  const envPgp = split(env.SOPS_PGP_FP ? [env.SOPS_PGP_FP] : [])
  const flagVault = split(opts.hcVaultTransit)
  const envVault = split(env.SOPS_VAULT_URIS ? [env.SOPS_VAULT_URIS] : [])
  const flagKms = split(opts.kms)
  const envKms = split(env.SOPS_KMS_ARN ? [env.SOPS_KMS_ARN] : [])
  const flagGcp = split(opts.gcpKms)
  const envGcp = split(env.SOPS_GCP_KMS_IDS ? [env.SOPS_GCP_KMS_IDS] : [])
  const flagAzure = split(opts.azureKv)
  const envAzure = split(env.SOPS_AZURE_KEYVAULT_URLS ? [env.SOPS_AZURE_KEYVAULT_URLS] : [])
  const keysGiven = fileAge.length + flagPgp.length + flagVault.length + flagKms.length + flagGcp.length + flagAzure.length + envAge.length + envPgp.length + envVault.length + envKms.length + envGcp.length + envAzure.length > 0
  // recipients given explicitly need no rule (sops insists on one; a flag says what the user wants)
  const rule = config ? matchRuleOrNull(config, resolve(opts.cwd ?? '.', filePath), keysGiven) : null
  const flagSelectors = opts.selectors ?? {}
  const flagSelectorCount = SELECTOR_KEYS.filter((k) => flagSelectors[k]).length
  if (flagSelectorCount > 1) throw new ConflictingOptionsError('use only one of the encrypted/unencrypted suffix/regex options')
  // a flag's selector replaces the rule's; mac_only_encrypted from either one holds (absent, not false, in the metadata)
  const macOnly = rule?.selectors.mac_only_encrypted || flagSelectors.mac_only_encrypted
  const selectors: Selectors = { ...(flagSelectorCount ? flagSelectors : rule?.selectors), ...defined({ mac_only_encrypted: macOnly || undefined }) }
  const cfgDir = config?.dir ?? '.'
  const rel = (p: string): string => (isAbsolute(p) ? p : join(cfgDir, p))
  const pgpKeyFiles = [...(opts.pgpKeyFiles ?? []), ...(rule?.pgpKeys ?? []).map(rel)]
  let groups: Recipient[][]
  let threshold = opts.shamirThreshold ?? rule?.shamirThreshold
  if (keysGiven) {
    const flagsGiven = fileAge.length || flagPgp.length || flagVault.length || flagKms.length || flagGcp.length || flagAzure.length
    const age = flagsGiven ? fileAge : envAge
    const pgp = flagsGiven ? flagPgp : envPgp
    const vault = flagsGiven ? flagVault : envVault
    const kms = await kmsFromArns(flagsGiven ? flagKms : envKms, opts.encryptionContext, opts.awsProfile)
    // sops' command-line order: kms, gcp_kms, azure, pgp, vault, age
    groups = [[...(await kmsRecipients(kms, env)), ...(await gcpRecipients(flagsGiven ? flagGcp : envGcp, env)), ...(await azureRecipients(flagsGiven ? flagAzure : envAzure, env)), ...(await vaultRecipients(vault, env)), ...(await pgpRecipients(pgp, pgpKeyFiles, env)), ...age.map((r) => createAgeRecipient(r, { env }))]]
    threshold = opts.shamirThreshold // flag recipients: the rule's threshold is not theirs, the flag's is
  } else if (rule) {
    const extraAge = rule.ageRecipientsFiles.map(rel).flatMap(readRecipientsFile)
    groups = []
    for (const [i, g] of rule.keyGroups.entries()) {
      if (rule.keyGroups.length > 1 && !g.age.length && !g.pgp.length && !g.hcVault.length && !g.kms.length && !g.gcpKms.length && !g.azureKv.length && !g.unsupported.length && !(i === 0 && extraAge.length)) throw new NoRecipientsError(`creation_rules[${rule.index}].key_groups[${i}] in ${config!.path} has no keys`)
      if (g.unsupported.length) throw new ConfigError(`creation_rules[${rule.index}] uses ${g.unsupported.join(', ')} keys, which sops-like does not support`)
      const age = [...g.age, ...(i === 0 && rule.keyGroups.length === 1 ? extraAge : [])]
      groups.push([...age.map((r) => createAgeRecipient(r, { env })), ...(await pgpRecipients(g.pgp, pgpKeyFiles, env)), ...(await vaultRecipients(g.hcVault, env)), ...(await kmsRecipients(g.kms, env)), ...(await gcpRecipients(g.gcpKms, env)), ...(await azureRecipients(g.azureKv, env))])
    }
    if (rule.keyGroups.length > 1 && extraAge.length) groups[0]!.unshift(...extraAge.map((r) => createAgeRecipient(r, { env })))
  } else {
    throw new NoRecipientsError(config ? `the matching creation rule in ${config.path} has no keys, and no --age, --pgp, --kms, --gcp-kms, --azure-kv or --hc-vault-transit was given` : 'no config file found and no --age or --pgp recipients given')
  }
  groups = groups.map((g) => dedupe(g))
  if (!groups.length || groups.every((g) => !g.length)) throw new NoRecipientsError('no recipients to encrypt to')
  const out: ResolvedKeys = { groups, selectors, rule, config }
  if (threshold !== undefined) out.threshold = threshold
  return out
}

function matchRuleOrNull(config: Config, path: string, keysGiven: boolean): CreationRule | null {
  try {
    return matchRule(config, path)
  } catch (e) {
    if (keysGiven && e instanceof NoMatchingRuleError) return null
    throw e
  }
}

function dedupe(g: Recipient[]): Recipient[] {
  const seen = new Set<string>()
  return g.filter((r) => { const k = `${r.type}:${r.id}`; if (seen.has(k)) return false; seen.add(k); return true })
}
