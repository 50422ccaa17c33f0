/**
 * The `sops` metadata block: our typed view of it and its conversion to and from a
 * tree node. Written as sops 3.13 does (keys sorted byte-wise at every level, empty
 * key lists omitted); read in every older layout (struct order, `kms: []`, nulls).
 */
import { LimitExceededError, MetadataError } from '../errors.js'
import type { KeyEntry } from '../keys/key-source.js'
import { SELECTOR_KEYS, type Selectors } from './selection.js'
import type { Mapping, Node, Pair } from './tree.js'
import { nowRfc3339 } from '../keys/created-at.js'

/** The sops version we write into files (the format we follow byte for byte). */
export const SOPS_FORMAT_VERSION = '3.13.2'

/**
 * Most key entries (wrapped data keys, all groups together) a file may list. Real files list a
 * team's recipients; each entry may cost an ECDH or a PGP attempt per identity, so a hostile
 * file with 150,000 of them took minutes to read.
 */
export const MAX_KEY_ENTRIES = 1000
const tooManyEntries = () => new LimitExceededError(`the sops metadata lists more than ${MAX_KEY_ENTRIES} key entries: refusing to try them`)

export const KEY_TYPES = ['age', 'azure_kv', 'gcp_kms', 'hc_vault', 'hckms', 'kms', 'pgp'] as const

export interface Metadata {
  /** One group = the flat lists; more = `key_groups` with a Shamir threshold. */
  keyGroups: KeyEntry[][]
  shamirThreshold?: number
  lastmodified: string
  /** The encrypted MAC (`ENC[...]`), or '' when absent. */
  mac: string
  version: string
  selectors: Selectors
  /** Unknown top-level metadata fields, kept verbatim so a rewrite drops nothing. */
  extra: Pair[]
}

// ---------- reading ----------

const isMap = (n: Node | undefined): n is Mapping => n?.kind === 'map'

function scalarText(n: Node | undefined, field: string): string | undefined {
  if (!n) return undefined
  if (n.kind !== 'scalar') throw new MetadataError(`sops metadata field ${field} is not a scalar`)
  if (n.type === 'null') return undefined
  if (n.type === 'bool') return n.text === 'True' ? 'true' : 'false'
  return n.text
}

function plainObject(m: Mapping, field: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of m.entries) if (e.kind === 'pair') out[e.key] = scalarText(e.value, field) ?? ''
  return out
}

function readEntries(type: string, n: Node | undefined): KeyEntry[] {
  if (!n || (n.kind === 'scalar' && n.type === 'null')) return []
  if (n.kind !== 'seq') throw new MetadataError(`sops metadata field ${type} is not a list`)
  if (n.items.length > MAX_KEY_ENTRIES) throw tooManyEntries()
  const out: KeyEntry[] = []
  for (const item of n.items) {
    if (item.kind === 'comment') continue
    if (!isMap(item)) throw new MetadataError(`sops metadata ${type} entry is not a mapping`)
    const fields: Record<string, string> = {}
    const nested: Record<string, Record<string, string>> = {}
    for (const e of item.entries) {
      if (e.kind !== 'pair') continue
      if (isMap(e.value)) nested[e.key] = plainObject(e.value, type)
      else fields[e.key] = scalarText(e.value, `${type}.${e.key}`) ?? ''
    }
    out.push(Object.keys(nested).length ? { type, fields, nested } : { type, fields })
  }
  return out
}

function readGroup(m: Mapping): KeyEntry[] {
  const group: KeyEntry[] = []
  const add = (entries: KeyEntry[]): void => {
    if (group.length + entries.length > MAX_KEY_ENTRIES) throw tooManyEntries()
    for (const e of entries) group.push(e)
  }
  for (const t of KEY_TYPES) add(readEntries(t, get(m, t)))
  // unknown list-of-map fields inside a group are kept as key kinds of their own
  for (const e of m.entries) {
    if (e.kind === 'pair' && !KNOWN.has(e.key) && isListOfMaps(e.value)) add(readEntries(e.key, e.value))
  }
  return group
}

const get = (m: Mapping, key: string): Node | undefined => {
  for (const e of m.entries) if (e.kind === 'pair' && e.key === key) return e.value
  return undefined
}

const isListOfMaps = (n: Node): boolean => n.kind === 'seq' && n.items.length > 0 && n.items.every((i) => i.kind === 'map')

const KNOWN = new Set<string>([...KEY_TYPES, 'key_groups', 'shamir_threshold', 'lastmodified', 'mac', 'version', 'mac_only_encrypted', ...SELECTOR_KEYS])

/** Reads the `sops` node into Metadata. Throws MetadataError on a malformed block. */
export function metadataFromNode(node: Node): Metadata {
  if (!isMap(node)) throw new MetadataError('found a sops entry that is not a mapping')
  const flat = readGroup(node)
  let keyGroups: KeyEntry[][] = []
  if (flat.length) keyGroups = [flat]
  else {
    const kg = get(node, 'key_groups')
    if (kg && kg.kind === 'seq') {
      keyGroups = kg.items.filter((g): g is Mapping => g.kind === 'map').map(readGroup)
    }
  }
  const extra: Pair[] = []
  for (const e of node.entries) {
    if (e.kind !== 'pair' || KNOWN.has(e.key)) continue
    // an unknown list-of-maps at top level is an unknown master-key kind: readGroup kept it
    if (isListOfMaps(e.value) && flat.length) continue
    extra.push(e)
  }
  if (!keyGroups.some((g) => g.length)) throw new MetadataError('no keys found in the sops metadata')
  if (keyGroups.reduce((n, g) => n + g.length, 0) > MAX_KEY_ENTRIES) throw tooManyEntries()
  const lastmodified = scalarText(get(node, 'lastmodified'), 'lastmodified') ?? ''
  if (!parseRfc3339(lastmodified)) throw new MetadataError('sops metadata lastmodified is not an RFC3339 time')
  const selectors: Selectors = {}
  for (const k of SELECTOR_KEYS) {
    const v = scalarText(get(node, k), k)
    if (v) selectors[k] = v
  }
  const moe = scalarText(get(node, 'mac_only_encrypted'), 'mac_only_encrypted')
  if (moe && /^(true|1|t)$/i.test(moe)) selectors.mac_only_encrypted = true
  const st = scalarText(get(node, 'shamir_threshold'), 'shamir_threshold')
  const md: Metadata = {
    keyGroups,
    lastmodified,
    mac: scalarText(get(node, 'mac'), 'mac') ?? '',
    version: scalarText(get(node, 'version'), 'version') ?? '',
    selectors,
    extra,
  }
  if (st && st !== '0') {
    const n = Number(st)
    if (!Number.isInteger(n) || n < 0) throw new MetadataError('sops metadata shamir_threshold is not a number')
    md.shamirThreshold = n
  }
  return md
}

// ---------- writing ----------

const s = (text: string): Node => ({ kind: 'scalar', type: 'str', text })
const p = (key: string, value: Node): Pair => ({ kind: 'pair', key, value })
const byKey = (a: Pair, b: Pair): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

function entryNode(e: KeyEntry): Mapping {
  const pairs: Pair[] = Object.entries(e.fields).map(([k, v]) => p(k, s(v)))
  for (const [k, obj] of Object.entries(e.nested ?? {})) {
    pairs.push(p(k, { kind: 'map', entries: Object.entries(obj).map(([kk, vv]) => p(kk, s(vv))).sort(byKey) }))
  }
  return { kind: 'map', entries: pairs.sort(byKey) }
}

function groupPairs(group: KeyEntry[], inKeyGroups: boolean): Pair[] {
  const types = new Set<string>(group.map((e) => e.type))
  if (inKeyGroups) { types.add('age'); types.add('hc_vault') }
  return [...types].map((t) => p(t, { kind: 'seq', items: group.filter((e) => e.type === t).map(entryNode) }))
}

/** Builds the `sops` node exactly as sops 3.13 lays it out. */
export function metadataToNode(md: Metadata): Mapping {
  const pairs: Pair[] = []
  if (md.keyGroups.length === 1) pairs.push(...groupPairs(md.keyGroups[0]!, false))
  else pairs.push(p('key_groups', { kind: 'seq', items: md.keyGroups.map((g) => ({ kind: 'map', entries: groupPairs(g, true).sort(byKey) }) as Mapping) }))
  pairs.push(p('lastmodified', s(md.lastmodified)))
  pairs.push(p('mac', s(md.mac)))
  if (md.shamirThreshold) pairs.push(p('shamir_threshold', { kind: 'scalar', type: 'int', text: String(md.shamirThreshold) }))
  for (const k of SELECTOR_KEYS) if (md.selectors[k]) pairs.push(p(k, s(md.selectors[k]!)))
  if (md.selectors.mac_only_encrypted) pairs.push(p('mac_only_encrypted', { kind: 'scalar', type: 'bool', text: 'True' }))
  pairs.push(p('version', s(md.version)))
  pairs.push(...md.extra)
  return { kind: 'map', entries: pairs.sort(byKey) }
}

// ---------- time ----------

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/** Parses RFC3339 (fractions allowed); undefined when invalid. */
export function parseRfc3339(t: string): { ms: number; offset: string; base: string } | undefined {
  const m = RFC3339.exec(t)
  if (!m) return undefined
  const ms = Date.parse(t.replace(' ', 'T'))
  if (Number.isNaN(ms)) return undefined
  const offset = m[8]!.toUpperCase() === 'Z' || m[8] === '+00:00' || m[8] === '-00:00' ? 'Z' : m[8]!
  return { ms, offset, base: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` }
}

/** `lastmodified` as Go re-formats it for the MAC's AAD: fractions dropped, zero offset as Z. */
export function macAad(lastmodified: string): string {
  const t = parseRfc3339(lastmodified)
  return t ? t.base + t.offset : lastmodified
}

/** Now, as sops writes it: UTC RFC3339 without fractions (shared with the key sources). */
export { nowRfc3339 }
