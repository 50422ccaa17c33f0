/**
 * Who can read one encrypted file, from its metadata alone (no key, no decryption): its key
 * groups as key entries of every kind (age, SSH and plugin age recipients, PGP, Vault, AWS,
 * GCP and Azure KMS, HuaweiCloud KMS, kinds we do not know), each tied to a RECIPIENT — the
 * config's name for the key when it gives one, else the key itself — and, per recipient,
 * whether they can decrypt the file ALONE: they hold a key in at least `threshold` key groups
 * (one group: any key opens it; a 2-of-3 Shamir file needs keys in two groups). Pure: the
 * caller passes the name lookup. Strings from metadata are untrusted: they are bounded here
 * and escaped by whoever prints them.
 */
import type { Metadata } from '../../core/metadata.js'
import { entryId, type KeyEntry } from '../../keys/key-source.js'
import { sameRecipient } from '../keys/recipient-diff.js'

/** The access report's JSON schema version (README "access"); bump on any incompatible change. */
export const ACCESS_SCHEMA_VERSION = 1

/** Longest key string or name kept from metadata (a longer one is cut and ends with `…`). */
export const MAX_TEXT = 512

/** One key entry of a file: its metadata type, what kind of key it is, its identifier, whose it is. */
export interface AccessKey {
  /** The metadata list it is in: `age`, `pgp`, `kms`, `gcp_kms`, `azure_kv`, `hc_vault`, `hckms`, or an unknown kind's name. */
  type: string
  /** `age`, `ssh` (an SSH key used as an age recipient), `age-plugin`, or the type for the others. */
  kind: string
  /** The public identifier: age recipient, PGP fingerprint, KMS ARN, key URL, … (bounded, see MAX_TEXT). */
  id: string
}

/** A key in a file's group, tied to its recipient. */
export interface GroupKey extends AccessKey {
  /** The `id` of the recipient (AccessRecipient) this key belongs to. */
  recipient: string
}

/** Someone (or something: a KMS key) files are encrypted to. */
export interface AccessRecipient {
  /** Stable: the config's name, else `<type>:<key id>`. */
  id: string
  /** The config's name (`recipients:`), when it gives one. */
  name?: string
  /** What tables show: the name, else the key shortened (unique within a report). */
  label: string
  /** The keys of this recipient that the reported files list. */
  keys: AccessKey[]
}

/** A recipient who holds keys in some groups of a Shamir file, but fewer than the threshold. */
export interface PartialAccess {
  recipient: string
  /** In how many key groups they hold a key (less than the file's threshold). */
  groups: number
}

export interface FileAccess {
  /** Relative to the working folder. */
  path: string
  /** Key groups, in the file's order (one group for a file without `key_groups`). */
  groups: GroupKey[][]
  /** Key groups needed to decrypt: 1 for one group, else the Shamir threshold. */
  threshold: number
  /** Recipients who can decrypt it alone (hold a key in ≥ threshold groups), in report order. */
  readers: string[]
  /** Recipients who hold a share only: they cannot decrypt it alone. */
  partial: PartialAccess[]
  /** The file's `lastmodified`, as written. */
  lastmodified: string
  /** With `values`: the names of its encrypted values (`db.password`), never values. */
  values?: string[]
}

/** The name the config gives a key, or undefined (see config/names.ts recipientName). */
export type NameLookup = (key: { type: string; id: string }) => string | undefined

/** A string from metadata, cut to MAX_TEXT characters. */
export const bounded = (s: string, max = MAX_TEXT): string => ([...s].length > max ? [...s].slice(0, max - 1).join('') + '…' : s)

const AGE_X25519 = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/

/** The full identifier of an entry (Azure keys by vault, name and version, as sops prints them). */
export function fullKeyId(e: KeyEntry): string {
  const f = e.fields
  if (e.type === 'azure_kv' && f.vault_url && f.name) return `${f.vault_url.replace(/\/+$/, '')}/keys/${f.name}${f.version ? `/${f.version}` : ''}`
  return entryId(e)
}

/** What kind of key an entry is. */
export function keyKind(type: string, id: string): string {
  if (type !== 'age') return type
  if (/^(ssh-|ecdsa-|sk-)/.test(id)) return 'ssh'
  if (/^age1/.test(id) && !AGE_X25519.test(id)) return 'age-plugin'
  return 'age'
}

const ellipsis = (s: string, head: number, tail: number): string => ([...s].length > head + tail + 1 ? [...s].slice(0, head).join('') + '…' + [...s].slice(-tail).join('') : s)

/** A short form of a key for tables: `age1qyqszq…k2p9xz`, `ssh-ed25519 …AbCd1234`, the PGP key id, `kms:alias/app`… */
export function shortKey(kind: string, id: string): string {
  switch (kind) {
    case 'age':
    case 'age-plugin':
      return ellipsis(id, 10, 6)
    case 'ssh': {
      const [algo = 'ssh', blob = ''] = id.split(/\s+/)
      return `${ellipsis(algo, 20, 0)} …${[...blob].slice(-8).join('')}`
    }
    case 'pgp':
      return id.replace(/\s+/g, '').toUpperCase().slice(-16)
    case 'kms':
      return `kms:${ellipsis(id.slice(id.lastIndexOf(':') + 1), 14, 6)}`
    case 'gcp_kms': {
      const m = /keyRings\/([^/]+)\/cryptoKeys\/([^/]+)/.exec(id)
      return `gcp:${ellipsis(m ? `${m[1]}/${m[2]}` : id, 14, 6)}`
    }
    case 'azure_kv': {
      const m = /^https?:\/\/([^./]+)[^/]*\/keys\/([^/]+)/.exec(id)
      return `azure:${ellipsis(m ? `${m[1]}/${m[2]}` : id, 14, 6)}`
    }
    case 'hc_vault': {
      const m = /^https?:\/\/([^/:]+)[^/]*\/.*\/keys\/([^/]+)$/.exec(id)
      return `vault:${ellipsis(m ? `${m[1]}/${m[2]}` : id, 14, 6)}`
    }
    default:
      return `${ellipsis(kind, 12, 0)}:${ellipsis(id, 12, 6)}`
  }
}

/** Key groups needed to decrypt: 1 for a single group (never split), else the threshold (the group count when unset). */
export const effectiveThreshold = (groups: number, t: number | undefined): number => (groups <= 1 ? 1 : t && t > 0 ? t : groups)

/**
 * Recipients met while reading files, by key: one per config name (all its keys) and one per
 * unnamed key. Labels stay unique within the registry.
 */
export class RecipientRegistry {
  private readonly byId = new Map<string, AccessRecipient>()
  private readonly labels = new Set<string>()
  /** Full key string → recipient id (the AccessKey ids are bounded; matching uses the full one). */
  private readonly unnamed = new Map<string, string>()

  /** The recipient of one entry, registering it and its key on first sight. */
  recipientOf(e: KeyEntry, nameOf: NameLookup): { key: AccessKey; recipient: string } {
    const full = fullKeyId(e)
    const kind = keyKind(e.type, full)
    const key: AccessKey = { type: e.type, kind, id: bounded(full) }
    const name = nameOf({ type: e.type, id: full })
    let rec: AccessRecipient | undefined
    if (name) {
      const id = bounded(name, 128)
      rec = this.byId.get(id)
      if (!rec) { rec = { id, name: id, label: this.unique(id), keys: [] }; this.byId.set(id, rec) }
    } else {
      const known = this.unnamed.get(`${e.type}\0${full}`) ?? this.findUnnamed(e.type, full)
      rec = known ? this.byId.get(known) : undefined
      if (!rec) {
        let id = `${e.type}:${key.id}`
        for (let n = 2; this.byId.has(id); n++) id = `${e.type}:${key.id}#${n}`
        rec = { id, label: this.unique(shortKey(kind, full)), keys: [] }
        this.byId.set(id, rec)
      }
      this.unnamed.set(`${e.type}\0${full}`, rec.id)
    }
    if (!rec.keys.some((k) => k.type === key.type && sameRecipient({ type: k.type, id: k.id }, { type: key.type, id: key.id }))) rec.keys.push(key)
    return { key, recipient: rec.id }
  }

  /** An unnamed recipient already met under another spelling of the same key (PGP key id vs fingerprint, spacing). */
  private findUnnamed(type: string, full: string): string | undefined {
    for (const [k, id] of this.unnamed) {
      const sep = k.indexOf('\0')
      if (k.slice(0, sep) === type && sameRecipient({ type, id: k.slice(sep + 1) }, { type, id: full })) return id
    }
    return undefined
  }

  private unique(label: string): string {
    let out = label
    for (let n = 2; this.labels.has(out); n++) out = `${label}#${n}`
    this.labels.add(out)
    return out
  }

  get(id: string): AccessRecipient | undefined { return this.byId.get(id) }

  /** The recipients, named ones first (by name), then keys (by label). */
  list(only?: ReadonlySet<string>): AccessRecipient[] {
    const all = [...this.byId.values()].filter((r) => !only || only.has(r.id))
    const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
    return all.sort((a, b) => (a.name && !b.name ? -1 : !a.name && b.name ? 1 : cmp(a.label, b.label)))
  }
}

/** Access to one file from its metadata: groups tied to recipients, who reads alone, who holds only shares. */
export function fileAccess(path: string, md: Metadata, nameOf: NameLookup, registry: RecipientRegistry): FileAccess {
  const groups = md.keyGroups.map((g) => g.map((e) => { const { key, recipient } = registry.recipientOf(e, nameOf); return { ...key, recipient } }))
  const threshold = effectiveThreshold(groups.length, md.shamirThreshold)
  const held = new Map<string, number>() // recipient → groups they hold a key in
  for (const g of groups) for (const r of new Set(g.map((k) => k.recipient))) held.set(r, (held.get(r) ?? 0) + 1)
  const readers: string[] = []
  const partial: PartialAccess[] = []
  for (const [r, n] of held) {
    if (n >= threshold) readers.push(r)
    else partial.push({ recipient: r, groups: n })
  }
  return { path, groups, threshold, readers, partial, lastmodified: bounded(md.lastmodified, 64) }
}

/** Orders each file's readers and partial holders as the recipient list is ordered. */
export function orderByRecipients(files: FileAccess[], recipients: readonly AccessRecipient[]): void {
  const rank = new Map(recipients.map((r, i) => [r.id, i]))
  const by = (a: string, b: string) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9)
  for (const f of files) {
    f.readers.sort(by)
    f.partial.sort((a, b) => by(a.recipient, b.recipient))
  }
}
