/**
 * Recipients as plain identifiers (`{type, id}`), compared the way sops matches
 * `--rm-*` flags (by identifier string; PGP fingerprints case- and space-insensitive,
 * a 16-hex key id matching the fingerprint it ends). Pure: no keys, no I/O.
 */
import { RecipientError } from '../../errors.js'
import { entryId, type KeyEntry, type Recipient } from '../../keys/key-source.js'
import { serviceKind, SERVICE_ID_KINDS } from './service-ids.js'

/** A recipient by identifier: an age recipient string, a PGP fingerprint, or another kind's id (kms ARN, …). */
export interface RecipientRef {
  type: string
  id: string
}

export const refOfEntry = (e: KeyEntry): RecipientRef => ({ type: e.type, id: entryId(e) })
export const refOfRecipient = (r: Recipient): RecipientRef => ({ type: r.type, id: r.id })

const normFp = (s: string): string => s.replace(/\s+/g, '').toUpperCase().replace(/^0X/, '').replace(/!$/, '')
const normAge = (s: string): string => s.trim().replace(/\s+/g, ' ')

/** Whether two identifiers name the same recipient. */
export function sameRecipient(a: RecipientRef, b: RecipientRef): boolean {
  if (a.type !== b.type) return false
  // an Azure key URL without a version (`…/keys/NAME/`, as a rule may give it) names the key's every version
  if (a.type === 'azure_kv' && (a.id.endsWith('/') || b.id.endsWith('/'))) {
    const [bare, other] = a.id.endsWith('/') ? [a.id, b.id] : [b.id, a.id]
    return other.startsWith(bare) && !other.slice(bare.length).includes('/')
  }
  if (a.type !== 'pgp') return normAge(a.id) === normAge(b.id)
  const x = normFp(a.id)
  const y = normFp(b.id)
  if (x === y) return true
  const [short, long] = x.length <= y.length ? [x, y] : [y, x]
  return short.length >= 16 && long.endsWith(short)
}

export const hasRecipient = (groups: readonly (readonly RecipientRef[])[], r: RecipientRef): boolean => groups.some((g) => g.some((x) => sameRecipient(x, r)))

/** A short printable form of an identifier (SSH keys are long). */
export const showRef = (r: RecipientRef): string => `${r.type} ${r.id.length > 72 ? r.id.slice(0, 60) + '…' : r.id}`

/** Looks up the config's name for a recipient (see config/names.ts), for display only. */
export type NameOf = (r: RecipientRef) => string | undefined

/** `ops-lead (age age1…)` when the config names the recipient, else showRef. */
export const showNamed = (r: RecipientRef, nameOf?: NameOf): string => {
  const name = nameOf?.(r)
  return name ? `${name} (${showRef(r)})` : showRef(r)
}

const FP_RE = /^(?:[0-9A-F]{16}|[0-9A-F]{40}|[0-9A-F]{64})!?$/
const AGE_PREFIX = /^(age1|ssh-|ecdsa-|sk-)/

/** Parses a recipient given on the command line: an age/SSH recipient, a PGP fingerprint or a key-service key (service-ids.ts; `kind` narrows it). Throws RecipientError without echoing secrets. */
export async function parseRecipientArg(input: string, kind?: string, flag = 'the recipient'): Promise<RecipientRef> {
  const s = input.trim()
  const service = kind ? serviceKind(kind) : SERVICE_ID_KINDS.find((k) => k.looksLike(s))
  if (service) return { type: service.type, id: await service.normalize(s) }
  if (/^AGE-(PLUGIN-|SECRET-KEY-)/i.test(s) || /PRIVATE KEY/.test(s)) {
    throw new RecipientError(`${flag} is a secret key, not a recipient: pass the public recipient (age1…) or fingerprint instead`)
  }
  if (kind !== 'pgp' && AGE_PREFIX.test(s)) {
    const { parseAgeRecipient } = await import('../../keys/age.js')
    return { type: 'age', id: parseAgeRecipient(s).id }
  }
  if (kind !== 'age') {
    const fp = s.replace(/\s+/g, '').toUpperCase().replace(/^0X/, '')
    if (FP_RE.test(fp)) return { type: 'pgp', id: fp }
  }
  const what = kind === 'age' ? 'an age recipient (age1… or ssh-…)' : kind === 'pgp' ? 'a PGP fingerprint (40 hex digits)' : 'an age recipient (age1… or ssh-…), a PGP fingerprint (40 hex digits) or a key-service key (arn:aws:kms:…, a Vault Transit URI, …)'
  throw new RecipientError(`${flag} is not ${what}`)
}

export interface GroupDiff {
  index: number
  added: RecipientRef[]
  removed: RecipientRef[]
  kept: RecipientRef[]
}

export interface RecipientDiff {
  groups: GroupDiff[]
  groupsBefore: number
  groupsAfter: number
  thresholdBefore?: number
  thresholdAfter?: number
  /** Anything differs (recipients, group count or effective threshold). */
  changed: boolean
  /** The only change is new recipients (no one loses access): the data key may be kept. */
  onlyAdded: boolean
}

const effectiveThreshold = (groups: number, t: number | undefined): number => (groups <= 1 ? 1 : t && t > 0 ? Math.min(t, groups) : groups)

/** Compares key groups position by position. */
export function diffRecipients(current: RecipientRef[][], desired: RecipientRef[][], thresholdBefore?: number, thresholdAfter?: number): RecipientDiff {
  const n = Math.max(current.length, desired.length)
  const groups: GroupDiff[] = []
  for (let i = 0; i < n; i++) {
    const cur = current[i] ?? []
    const des = desired[i] ?? []
    groups.push({
      index: i,
      added: des.filter((d) => !cur.some((c) => sameRecipient(c, d))),
      removed: cur.filter((c) => !des.some((d) => sameRecipient(c, d))),
      kept: cur.filter((c) => des.some((d) => sameRecipient(c, d))),
    })
  }
  const tb = effectiveThreshold(current.length, thresholdBefore)
  const ta = effectiveThreshold(desired.length, thresholdAfter)
  const sameShape = current.length === desired.length
  const anyAdded = groups.some((g) => g.added.length)
  const anyRemoved = groups.some((g) => g.removed.length)
  const out: RecipientDiff = {
    groups,
    groupsBefore: current.length,
    groupsAfter: desired.length,
    changed: anyAdded || anyRemoved || !sameShape || tb !== ta,
    onlyAdded: sameShape && !anyRemoved && ta <= tb,
  }
  if (current.length > 1) out.thresholdBefore = tb
  if (desired.length > 1) out.thresholdAfter = ta
  return out
}

/** Human lines for a diff: `+++ age age1…` / `--- pgp ABC…`, per group when there are several. */
export function formatDiff(d: RecipientDiff, nameOf?: NameOf): string[] {
  const lines: string[] = []
  const multi = d.groupsBefore > 1 || d.groupsAfter > 1
  for (const g of d.groups) {
    if (!g.added.length && !g.removed.length) continue
    const pre = multi ? `group ${g.index}: ` : ''
    for (const r of g.added) lines.push(`${pre}+++ ${showNamed(r, nameOf)}`)
    for (const r of g.removed) lines.push(`${pre}--- ${showNamed(r, nameOf)}`)
  }
  if (d.groupsBefore !== d.groupsAfter) lines.push(`key groups: ${d.groupsBefore} → ${d.groupsAfter}`)
  if ((d.thresholdBefore ?? 1) !== (d.thresholdAfter ?? 1)) lines.push(`shamir threshold: ${d.thresholdBefore ?? 1} → ${d.thresholdAfter ?? 1}`)
  return lines
}

export interface RecipientEdits {
  /** Added to group 0. */
  add?: RecipientRef[]
  /** Removed from every group. */
  remove?: RecipientRef[]
}

/** Applies `--add-*` / `--rm-*` edits; `missing` lists removals the groups did not contain. */
export function editGroups(current: RecipientRef[][], edits: RecipientEdits): { groups: RecipientRef[][]; missing: RecipientRef[]; ineffective: RecipientRef[] } {
  const missing = (edits.remove ?? []).filter((r) => !hasRecipient(current, r))
  let groups = current.map((g) => g.filter((x) => !(edits.remove ?? []).some((r) => sameRecipient(x, r))))
  const ineffective: RecipientRef[] = []
  if (edits.add?.length) {
    if (!groups.length) groups = [[]]
    const first = [...groups[0]!]
    for (const a of edits.add) {
      if (first.some((x) => sameRecipient(x, a))) ineffective.push(a)
      else first.push(a)
    }
    groups = [first, ...groups.slice(1)]
  }
  return { groups, missing, ineffective }
}
