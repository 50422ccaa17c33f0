/**
 * Parses and validates `.sops-like.yaml` / `.sops.yaml` (sops' creation_rules schema
 * plus our extensions: `pgp_keys`, `age_recipients_file`, `run.files`, `check.include` /
 * `check.exclude`, `recipients:` names, which are resolved here so rules carry key strings
 * only; see names.ts).
 */
import { yamlLib } from '../formats/yaml/library.js'
import { ConfigError } from '../errors.js'
import { SELECTOR_KEYS, type Selectors } from '../core/selection.js'
import { expandNames, parseRecipientNames, type RecipientNames } from './names.js'
import { defined } from '../defined.js'

export interface KeyGroupSpec {
  age: string[]
  pgp: string[]
  /** HashiCorp Vault Transit key URIs (`hc_vault` in key_groups, `hc_vault_transit_uri` in a flat rule). */
  hcVault: string[]
  /** AWS KMS keys (`kms`: a list of `{arn, role, context, aws_profile}` in key_groups; an ARN list plus `aws_profile` in a flat rule). */
  kms: KmsSpec[]
  /** GCP KMS key resource ids (`gcp_kms`: a list of `{resource_id}` in key_groups; an id list in a flat rule). */
  gcpKms: string[]
  /** Azure Key Vault key URLs, `https://VAULT/keys/NAME[/VERSION]` (`azure_keyvault`: a list of `{vaultUrl, key, version}` in key_groups; a URL list in a flat rule). */
  azureKv: string[]
  /** Cloud kinds we cannot use; listed so that we can refuse clearly. */
  unsupported: string[]
}

export interface KmsSpec { arn: string; role?: string; context?: Record<string, string>; awsProfile?: string }

/** `kms:` as sops reads it: a comma-separated ARN string (`arn+role` allowed) or a list of strings or `{arn, role, context, aws_profile}`. */
function kmsList(v: unknown, where: string, profile?: unknown): KmsSpec[] {
  if (v === undefined || v === null) return []
  if (profile !== undefined && profile !== null && typeof profile !== 'string') throw new ConfigError(`${where.replace(/\.kms$/, '')}.aws_profile must be a string`)
  const out: KmsSpec[] = []
  for (const [i, it] of (Array.isArray(v) ? v : [v]).entries()) {
    if (typeof it === 'string') {
      for (const part of it.split(',').map((x) => x.trim()).filter(Boolean)) {
        const plus = part.indexOf('+')
        out.push({ arn: plus >= 0 ? part.slice(0, plus) : part, ...defined({ role: plus >= 0 ? part.slice(plus + 1) : undefined, awsProfile: (profile || undefined) as string | undefined }) })
      }
      continue
    }
    if (!isObj(it) || typeof it.arn !== 'string') throw new ConfigError(`${where}[${i}] must be an ARN or a mapping with arn`)
    for (const k of Object.keys(it)) if (!['arn', 'role', 'context', 'aws_profile'].includes(k)) throw new ConfigError(`${where}[${i}] has unknown field ${k}`)
    const spec: KmsSpec = { arn: it.arn.trim() }
    if (typeof it.role === 'string' && it.role) spec.role = it.role
    if (typeof it.aws_profile === 'string' && it.aws_profile) spec.awsProfile = it.aws_profile
    if (it.context !== undefined && it.context !== null) {
      if (!isObj(it.context)) throw new ConfigError(`${where}[${i}].context must be a mapping`)
      spec.context = Object.fromEntries(Object.entries(it.context).map(([k, val]) => [k, String(val)]))
    }
    out.push(spec)
  }
  return out
}

/** `gcp_kms:` as sops reads it: comma-separated ids, or a list of ids or of `{resource_id}` (key_groups). */
function gcpList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return []
  const out: string[] = []
  for (const [i, it] of (Array.isArray(v) ? v : [v]).entries()) {
    if (typeof it === 'string') { out.push(...keyList(it, where)); continue }
    if (!isObj(it) || typeof it.resource_id !== 'string') throw new ConfigError(`${where}[${i}] must be a resource id or a mapping with resource_id`)
    for (const k of Object.keys(it)) if (k !== 'resource_id') throw new ConfigError(`${where}[${i}] has unknown field ${k}`)
    out.push(it.resource_id.replace(/ /g, '').trim())
  }
  return out
}

/** `azure_keyvault:` as sops reads it: comma-separated key URLs, or a list of URLs or of `{vaultUrl, key, version}` (key_groups). */
function azureList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return []
  const out: string[] = []
  for (const [i, it] of (Array.isArray(v) ? v : [v]).entries()) {
    if (typeof it === 'string') { out.push(...keyList(it, where)); continue }
    if (!isObj(it) || typeof it.vaultUrl !== 'string' || typeof it.key !== 'string') throw new ConfigError(`${where}[${i}] must be a key URL or a mapping with vaultUrl, key and version`)
    for (const k of Object.keys(it)) if (!['vaultUrl', 'key', 'version'].includes(k)) throw new ConfigError(`${where}[${i}] has unknown field ${k}`)
    if (it.version !== undefined && it.version !== null && typeof it.version !== 'string') throw new ConfigError(`${where}[${i}].version must be a string`)
    out.push(`${it.vaultUrl.trim().replace(/\/+$/, '')}/keys/${it.key.trim()}${it.version ? `/${String(it.version).trim()}` : ''}`)
  }
  return out
}

export interface CreationRule {
  index: number
  pathRegex?: string
  keyGroups: KeyGroupSpec[]
  shamirThreshold?: number
  selectors: Selectors
  /** Armored PGP public key files (relative to the config's folder). */
  pgpKeys: string[]
  /** age recipients files (relative to the config's folder). */
  ageRecipientsFiles: string[]
}

export interface Config {
  path: string
  dir: string
  creationRules: CreationRule[]
  run: { files: string[] }
  /** Globs (gitignore-style) that `check` and `git setup` treat as secrets files, or not. */
  check: { include: string[]; exclude: string[] }
  /** Named recipients (`recipients:`); rules already hold the keys these names stand for. */
  recipients: RecipientNames
}

const RULE_KEYS = new Set([
  'path_regex', 'age', 'pgp', 'key_groups', 'shamir_threshold', 'mac_only_encrypted', ...SELECTOR_KEYS,
  'pgp_keys', 'age_recipients_file', 'kms', 'aws_profile', 'gcp_kms', 'azure_keyvault', 'hc_vault_transit_uri', 'hckms', 'filename_regex',
])
const GROUP_KEYS = new Set(['age', 'pgp', 'merge', 'kms', 'aws_profile', 'gcp_kms', 'azure_keyvault', 'hc_vault', 'hckms'])
const UNSUPPORTED = ['hckms']

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A comma-separated string or a list (entries may be comma-separated too); spaces trimmed. */
function keyList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return []
  const items = Array.isArray(v) ? v : [v]
  const out: string[] = []
  for (const it of items) {
    if (typeof it !== 'string') throw new ConfigError(`${where} must be a string or a list of strings`)
    for (const part of it.split(',')) if (part.trim()) out.push(part.trim())
  }
  return out
}

const fp = (s: string): string => s.replace(/\s+/g, '').toUpperCase()

function group(g: unknown, where: string, names: RecipientNames): KeyGroupSpec {
  if (!isObj(g)) throw new ConfigError(`${where} must be a mapping`)
  for (const k of Object.keys(g)) if (!GROUP_KEYS.has(k)) throw new ConfigError(`${where} has unknown field ${k}`)
  const a = expandNames(keyList(g.age, `${where}.age`), 'age', names, `${where}.age`)
  const p = expandNames(keyList(g.pgp, `${where}.pgp`), 'pgp', names, `${where}.pgp`)
  const spec: KeyGroupSpec = { age: [...a.age, ...p.age], pgp: [...a.pgp, ...p.pgp].map(fp), hcVault: keyList(g.hc_vault, `${where}.hc_vault`), kms: kmsList(g.kms, `${where}.kms`, g.aws_profile), gcpKms: gcpList(g.gcp_kms, `${where}.gcp_kms`), azureKv: azureList(g.azure_keyvault, `${where}.azure_keyvault`), unsupported: [] }
  for (const k of UNSUPPORTED) if (g[k] !== undefined && g[k] !== null && !(Array.isArray(g[k]) && (g[k] as unknown[]).length === 0)) spec.unsupported.push(k)
  if (g.merge !== undefined) {
    if (!Array.isArray(g.merge)) throw new ConfigError(`${where}.merge must be a list`)
    for (const [i, m] of g.merge.entries()) {
      const sub = group(m, `${where}.merge[${i}]`, names)
      spec.age.unshift(...sub.age)
      spec.pgp.unshift(...sub.pgp)
      spec.hcVault.unshift(...sub.hcVault)
      spec.kms.unshift(...sub.kms)
      spec.gcpKms.unshift(...sub.gcpKms)
      spec.azureKv.unshift(...sub.azureKv)
      spec.unsupported.push(...sub.unsupported)
    }
  }
  spec.age = [...new Set(spec.age)]
  spec.pgp = [...new Set(spec.pgp)]
  spec.hcVault = [...new Set(spec.hcVault)]
  spec.gcpKms = [...new Set(spec.gcpKms)]
  spec.azureKv = [...new Set(spec.azureKv)]
  return spec
}

function rule(r: unknown, index: number, names: RecipientNames): CreationRule {
  const where = `creation_rules[${index}]`
  if (!isObj(r)) throw new ConfigError(`${where} must be a mapping`)
  for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) throw new ConfigError(`${where} has unknown field ${k}`)
  const selectors: Selectors = {}
  for (const k of SELECTOR_KEYS) {
    const v = r[k]
    if (v === undefined || v === null || v === '') continue
    if (typeof v !== 'string') throw new ConfigError(`${where}.${k} must be a string`)
    selectors[k] = v
  }
  if (SELECTOR_KEYS.filter((k) => selectors[k]).length > 1) throw new ConfigError(`${where} uses more than one of ${SELECTOR_KEYS.join(', ')}`)
  if (r.mac_only_encrypted !== undefined) {
    if (typeof r.mac_only_encrypted !== 'boolean') throw new ConfigError(`${where}.mac_only_encrypted must be true or false`)
    if (r.mac_only_encrypted) selectors.mac_only_encrypted = true
  }
  if (r.path_regex !== undefined && typeof r.path_regex !== 'string') throw new ConfigError(`${where}.path_regex must be a string`)
  let keyGroups: KeyGroupSpec[]
  if (r.key_groups !== undefined && r.key_groups !== null && !Array.isArray(r.key_groups)) throw new ConfigError(`${where}.key_groups must be a list`)
  // as sops: an empty key_groups list means "use the flat key lists"; an empty group is an
  // error only when the rule is used to encrypt (a config may hold rules for other tools)
  if (Array.isArray(r.key_groups) && r.key_groups.length > 0) {
    keyGroups = r.key_groups.map((g, i) => group(g, `${where}.key_groups[${i}]`, names))
  } else {
    keyGroups = [group({ age: r.age, pgp: r.pgp, hc_vault: r.hc_vault_transit_uri, kms: r.kms, aws_profile: r.aws_profile, gcp_kms: r.gcp_kms, azure_keyvault: r.azure_keyvault, ...Object.fromEntries(UNSUPPORTED.filter((k) => r[k] !== undefined).map((k) => [k, r[k]])) }, where, names)]
  }
  let shamirThreshold: number | undefined
  if (r.shamir_threshold !== undefined && r.shamir_threshold !== null) {
    const n = Number(r.shamir_threshold)
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${where}.shamir_threshold must be a whole number`)
    if (n > 0) shamirThreshold = n
  }
  const out: CreationRule = {
    index,
    keyGroups,
    selectors,
    pgpKeys: keyList(r.pgp_keys, `${where}.pgp_keys`),
    ageRecipientsFiles: keyList(r.age_recipients_file, `${where}.age_recipients_file`),
  }
  if (typeof r.path_regex === 'string') out.pathRegex = r.path_regex
  if (shamirThreshold !== undefined) out.shamirThreshold = shamirThreshold
  return out
}

const MAX_CHECK_GLOBS = 200
const MAX_GLOB_LENGTH = 256

/** `check: {include: [globs], exclude: [globs]}`: plain globs (`*`, `?`, `[…]`, `**`), no newlines or spaces-only entries. */
function checkSection(v: unknown, path: string): { include: string[]; exclude: string[] } {
  if (v === undefined || v === null) return { include: [], exclude: [] }
  if (!isObj(v)) throw new ConfigError(`config ${path}: check must be a mapping with include and/or exclude`)
  for (const k of Object.keys(v)) if (k !== 'include' && k !== 'exclude') throw new ConfigError(`config ${path}: check has unknown field ${k} (use include or exclude)`)
  const globs = (k: 'include' | 'exclude'): string[] => {
    const list = keyList(v[k], `check.${k}`)
    if (list.length > MAX_CHECK_GLOBS) throw new ConfigError(`config ${path}: check.${k} has more than ${MAX_CHECK_GLOBS} globs`)
    for (const g of list) {
      if (g.length > MAX_GLOB_LENGTH || /[\s\0]/.test(g) || g.startsWith('!') || g.startsWith('#')) throw new ConfigError(`config ${path}: check.${k} entry ${JSON.stringify(g.slice(0, 40))} is not a usable glob (no spaces, no leading ! or #, at most ${MAX_GLOB_LENGTH} characters)`)
    }
    return list
  }
  return { include: globs('include'), exclude: globs('exclude') }
}

/** Parses config text. `path` is used for the folder and in messages. */
export function parseConfig(text: string, path: string, dir: string): Config {
  const yaml = yamlLib() // outside the try: failing to load the package is not a config error
  let doc: unknown
  try {
    doc = yaml.parse(text, { prettyErrors: false, uniqueKeys: true, maxAliasCount: 50 })
  } catch (e) {
    const pos = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0]
    throw new ConfigError(`config ${path} is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`)
  }
  if (doc === null || doc === undefined) doc = {}
  if (!isObj(doc)) throw new ConfigError(`config ${path} must be a mapping`)
  const rules = doc.creation_rules
  if (rules !== undefined && rules !== null && !Array.isArray(rules)) throw new ConfigError(`config ${path}: creation_rules must be a list`)
  const runSection = doc.run
  let runFiles: string[] = []
  if (runSection !== undefined) {
    if (!isObj(runSection)) throw new ConfigError(`config ${path}: run must be a mapping`)
    runFiles = keyList(runSection.files, 'run.files')
  }
  const check = checkSection(doc.check, path)
  for (const k of Object.keys(doc)) {
    if (!['creation_rules', 'destination_rules', 'stores', 'run', 'check', 'recipients'].includes(k)) throw new ConfigError(`config ${path} has unknown top-level field ${k}`)
  }
  const recipients = parseRecipientNames(doc.recipients, path)
  return { path, dir, creationRules: (rules ?? []).map((r: unknown, i: number) => rule(r, i, recipients)), run: { files: runFiles }, check, recipients }
}
