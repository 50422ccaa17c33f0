/**
 * The two small roles every key kind implements (after typage): a Recipient wraps
 * a data key into a metadata entry, an Identity unwraps an entry or says "not mine"
 * by returning null (it throws only for "mine, but broken").
 */

/** Key kinds sops writes into metadata. We implement age, pgp, hc_vault, kms, gcp_kms and azure_kv; the rest round-trip untouched. */
export type KeyType = 'age' | 'pgp' | 'kms' | 'gcp_kms' | 'azure_kv' | 'hc_vault' | 'hckms'

/** One master-key entry of the `sops` block (e.g. `{enc, recipient}` for age, `{created_at, enc, fp}` for pgp). */
export interface KeyEntry {
  readonly type: KeyType | string
  /** Scalar fields of the entry as written (`enc`, `recipient`, `fp`, `created_at`, …). */
  readonly fields: Readonly<Record<string, string>>
  /** Nested fields of kinds we do not implement (e.g. kms `context`), kept verbatim as plain objects. */
  readonly nested?: Readonly<Record<string, Readonly<Record<string, string>>>>
}

/** The public identifier of an entry: the age recipient, the PGP fingerprint, the KMS ARN, … */
export function entryId(e: KeyEntry): string {
  const f = e.fields
  // a Vault key is its URI (sops' ToString): the address alone would confuse two keys on one server
  if (e.type === 'hc_vault' && f.vault_address && f.key_name) return `${f.vault_address.replace(/\/+$/, '')}/v1/${(f.engine_path ?? '').replace(/^\/+|\/+$/g, '')}/keys/${f.key_name}`
  // an Azure key is its URL (sops' ToString: vault/keys/name/version): the vault alone would confuse its keys
  if (e.type === 'azure_kv' && f.vault_url && f.name) return `${f.vault_url.replace(/\/+$/, '')}/keys/${f.name}/${f.version ?? ''}`
  return f.recipient ?? f.fp ?? f.arn ?? f.resource_id ?? f.vault_url ?? f.vault_address ?? f.key_id ?? ''
}

/** The kinds we can wrap for and open. */
export type UsableKeyType = 'age' | 'pgp' | 'hc_vault' | 'kms' | 'gcp_kms' | 'azure_kv'

export interface Recipient {
  readonly type: UsableKeyType
  /** The recipient string or fingerprint as written in metadata. */
  readonly id: string
  /** Encrypts (a share of) the data key for this recipient. */
  wrap(dataKey: Uint8Array): Promise<KeyEntry>
}

export interface Identity {
  readonly type: UsableKeyType
  /** Human label for reports: where it came from and its public side (never secret material). */
  readonly label: string
  /** The data key (or share), or null when this entry is not for this identity. */
  unwrap(entry: KeyEntry): Promise<Uint8Array | null>
}
