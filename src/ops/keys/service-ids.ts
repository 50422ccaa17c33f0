/**
 * Key-service keys (Vault Transit, AWS KMS, GCP KMS, Azure Key Vault) by identifier, in one
 * table: how each is recognised and normalised when typed on the command line (`offboard
 * arn:aws:kms:…`, `rotate --rm-kms …`), and where a config names it (the rule and key-group
 * fields, and the parsed KeyGroupSpec field), so that `offboard` can remove it from the
 * creation rules. A new service is one entry here. Pure, apart from loading a service's own
 * module (no SDK) to normalise its identifier.
 */
import type { KeyGroupSpec } from '../../config/schema.js'

export interface ServiceIdKind {
  /** The metadata entry type (sops' key type identifier). */
  readonly type: string
  /** What it is called in messages. */
  readonly label: string
  /** Whether a command-line string is this kind's identifier (tried in table order). */
  readonly looksLike: (s: string) => boolean
  /** The identifier as `entryId` (src/keys/key-source.ts) gives it for this kind's entries; throws RecipientError. */
  readonly normalize: (s: string) => Promise<string>
  /** Config fields (in a rule or a key group) that list this kind, as comma-separated strings, lists of strings or of mappings. */
  readonly configFields: readonly string[]
  /** A list item written as a mapping (e.g. `{arn: …, context: …}`): its identifier. */
  readonly idOfItem?: (m: Readonly<Record<string, unknown>>) => string | undefined
  /** A string token in a config list: its identifier (e.g. `arn+role` → `arn`). */
  readonly idOfToken?: (s: string) => string
  /** A canonical form for comparing a config's spelling with an entry's identifier (sync; default: trimmed). */
  readonly canon?: (s: string) => string
  /** The parsed config's field for this kind, and the identifier of one of its values. */
  readonly specField?: string
  readonly idOfSpec?: (v: unknown) => string
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : undefined)
const kmsArn = (s: string): string => { const t = s.trim(); const i = t.indexOf('+'); return i >= 0 ? t.slice(0, i) : t }
const vaultId = async (s: string): Promise<string> => {
  const { parseVaultUri, vaultUri } = await import('../../keys/hc-vault.js')
  return vaultUri(parseVaultUri(s))
}
/** A Vault URI as vaultUri(parseVaultUri(…)) spells it, without loading the module: scheme, host (default port dropped), the path without empty segments. */
const vaultCanon = (s: string): string => {
  try {
    const u = new URL(s.trim())
    return `${u.protocol}//${u.host}/${u.pathname.split('/').filter(Boolean).map((x) => { try { return decodeURIComponent(x) } catch { return x } }).join('/')}`
  } catch {
    return s.trim()
  }
}
/** sops' Azure key string: `<vault url>/keys/<name>/<version>`. */
const azureId = (m: Readonly<Record<string, unknown>>): string | undefined => {
  const url = str(m.vaultUrl) ?? str(m.vault_url)
  const name = str(m.key) ?? str(m.name)
  return url && name ? `${url.replace(/\/+$/, '')}/keys/${name}${str(m.version) ? `/${str(m.version)}` : ''}` : undefined
}

/** Every key service, in the order a command-line identifier is tried. */
export const SERVICE_ID_KINDS: readonly ServiceIdKind[] = [
  {
    type: 'kms', label: 'AWS KMS key',
    looksLike: (s) => /^arn:aws[\w-]*:kms:/.test(s),
    normalize: async (s) => (await import('../../keys/aws-kms.js')).parseKmsArn(s).arn,
    configFields: ['kms'], idOfItem: (m) => str(m.arn), idOfToken: kmsArn,
    specField: 'kms', idOfSpec: (v) => (v as { arn: string }).arn,
  },
  {
    type: 'gcp_kms', label: 'GCP KMS key',
    looksLike: (s) => /^projects\/[^/]+\/locations\/[^/]+\/keyRings\//.test(s),
    normalize: async (s) => (await import('../../keys/gcp-kms.js')).parseGcpKmsId(s).resourceId,
    configFields: ['gcp_kms'], idOfItem: (m) => str(m.resource_id),
    specField: 'gcpKms', idOfSpec: (v) => (typeof v === 'string' ? v : String((v as { resourceId?: string; resource_id?: string }).resourceId ?? (v as { resource_id?: string }).resource_id ?? '')),
  },
  {
    type: 'azure_kv', label: 'Azure Key Vault key',
    looksLike: (s) => /^https:\/\/[^/]+\/keys\/[^/]+/i.test(s),
    normalize: async (s) => { const { parseAzureKvUrl, azureKvUrl } = await import('../../keys/azure-kv.js'); return azureKvUrl(parseAzureKvUrl(s)) },
    configFields: ['azure_keyvault'], idOfItem: azureId,
    specField: 'azureKv', idOfSpec: (v) => (typeof v === 'string' ? v : azureId(v as Record<string, unknown>) ?? ''),
  },
  {
    type: 'hc_vault', label: 'Vault Transit key',
    looksLike: (s) => /^https?:\/\//i.test(s),
    normalize: vaultId,
    configFields: ['hc_vault', 'hc_vault_transit_uri'],
    canon: vaultCanon,
    specField: 'hcVault', idOfSpec: (v) => String(v),
  },
]

export const serviceKind = (type: string): ServiceIdKind | undefined => SERVICE_ID_KINDS.find((k) => k.type === type)

/** The service kind that lists its keys under config field `field`, if any. */
export const kindOfConfigField = (field: string): ServiceIdKind | undefined => SERVICE_ID_KINDS.find((k) => k.configFields.includes(field))

/** Whether a config's spelling of a `kind` key (a token or a mapping's id) names the key `id`. */
export function sameServiceKey(kind: ServiceIdKind, configId: string, id: string): boolean {
  const canon = kind.canon ?? ((s: string) => s.trim())
  return canon(kind.idOfToken ? kind.idOfToken(configId) : configId) === canon(id)
}

/** A key group's service keys as `{type, id}`, through the table (fields a config parser does not fill are skipped). */
export function serviceKeysOfSpec(g: KeyGroupSpec): Array<{ type: string; id: string; field: string; value: unknown }> {
  const out: Array<{ type: string; id: string; field: string; value: unknown }> = []
  for (const k of SERVICE_ID_KINDS) {
    if (!k.specField || !k.idOfSpec) continue
    const list = (g as unknown as Record<string, unknown>)[k.specField]
    if (Array.isArray(list)) for (const v of list) out.push({ type: k.type, id: k.idOfSpec(v), field: k.specField, value: v })
  }
  return out
}
