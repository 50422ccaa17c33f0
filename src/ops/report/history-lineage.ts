/**
 * When did each value last change, and when was each data key made — read from the
 * ciphertexts alone, no key. sops-like keeps an unchanged value's `ENC[…]` text byte for
 * byte (set, edit, merge reuse it), so a ciphertext's first revision is when its value was
 * set. Only a re-encryption of every value breaks that chain, and it is told apart from an
 * edit by this heuristic (pure functions, tested on made-up snapshots):
 *
 * - some value kept its ciphertext → the data key is the same; each changed ciphertext is a
 *   changed value (`edit`);
 * - EVERY value present on both sides got a new ciphertext, and no recipient kept its
 *   wrapped data key (`enc`) → a new data key: a ROTATION (`rotate`); the values are
 *   presumed unchanged, each new ciphertext inherits the date of the one it replaces;
 * - every value got a new ciphertext but some recipient kept its wrapped key → same data
 *   key, every value re-sealed (sops' own `edit` re-encrypts everything): `reseal`, values
 *   presumed unchanged — except with a single value, which is then taken as changed.
 *
 * Limits: a value really changed in the same revision as a rotation (or a sops re-seal)
 * keeps its older date (the safe direction: it looks staler, never fresher); a value set
 * back to an old plaintext by hand looks new; a value moved to another key path or file
 * WITH a re-encryption looks new.
 */
import type { HistoryEvent } from './history-git.js'

/** One revision of one file, as the reports need it: no plaintext, nothing to decrypt. */
export interface Snapshot {
  /** Key path (`db.password`) → its `ENC[…]` text. */
  values: Map<string, string>
  /** Recipient (`age age1…`) → the wrapped data key written for it. */
  wraps: Map<string, string>
}

export type Transition = 'edit' | 'reseal' | 'rotate'

/** When something happened: a commit (author date), or the working tree (`commit` null, `time` now). */
export interface Stamp {
  time: number
  commit: string | null
}

export interface DataKeyStamp extends Stamp {
  /** False: the data key is the one the file was created with (no rotation seen). */
  rotated: boolean
}

/** Tells an edit, a re-seal with the same data key and a rotation apart (see the module doc). */
export function classify(prev: Snapshot, next: Snapshot): Transition {
  let common = 0
  let changed = 0
  for (const [k, c] of next.values) {
    const p = prev.values.get(k)
    if (p === undefined) continue
    common++
    if (p !== c) changed++
  }
  let sharedRecipients = 0
  let keptWrap = false
  for (const [r, enc] of next.wraps) {
    const p = prev.wraps.get(r)
    if (p === undefined) continue
    sharedRecipients++
    if (p === enc) keptWrap = true
  }
  const wrapsChanged = !keptWrap && (sharedRecipients > 0 || (prev.wraps.size > 0 && next.wraps.size > 0))
  if (common === 0) return wrapsChanged ? 'rotate' : 'edit'
  if (changed < common) return 'edit'
  if (wrapsChanged) return 'rotate'
  return common >= 2 ? 'reseal' : 'edit'
}

export interface Lineage {
  /** Each ciphertext → when its value was set. */
  origin: Map<string, Stamp>
  /** A ciphertext made by a rotation or re-seal → the one it replaced (same value, presumed). */
  from: Map<string, string>
  /** Each revision (blob id) → since when its data key exists. */
  dataKey: Map<string, DataKeyStamp>
  /** Each event's transition from each of its parents, for callers that follow recipients. */
  transitions: Map<HistoryEvent, Transition[]>
}

const earlier = (a: Stamp | undefined, b: Stamp): boolean => !a || b.time < a.time

/**
 * Walks `events` (parents first) over the parsed revisions `snap` (null: not a sops file)
 * and dates every ciphertext and data key.
 */
export function traceLineage(events: readonly HistoryEvent[], snap: (blob: string) => Snapshot | null): Lineage {
  const out: Lineage = { origin: new Map(), from: new Map(), dataKey: new Map(), transitions: new Map() }
  for (const e of events) {
    if (!e.blob) continue
    const next = snap(e.blob)
    if (!next) continue
    const stamp: Stamp = { time: e.time, commit: e.commit || null }
    const parents = e.parents.map((p) => ({ id: p, s: snap(p) })).filter((p): p is { id: string; s: Snapshot } => p.s !== null)
    const kinds = parents.map((p) => classify(p.s, next))
    out.transitions.set(e, kinds)
    for (const [key, c] of next.values) {
      if (out.origin.has(c)) continue // an unchanged value: dated where it first appeared
      let best: Stamp | undefined
      let src: string | undefined
      parents.forEach((p, i) => {
        if (kinds[i] === 'edit') return
        const prior = p.s.values.get(key)
        const o = prior !== undefined ? out.origin.get(prior) : undefined
        if (o && earlier(best, o)) { best = o; src = prior }
      })
      out.origin.set(c, best ?? stamp)
      if (src !== undefined) out.from.set(c, src)
    }
    let key: DataKeyStamp | undefined
    parents.forEach((p, i) => {
      const k = out.dataKey.get(p.id)
      if (kinds[i] !== 'rotate' && k && earlier(key, k)) key = k
    })
    key ??= { ...stamp, rotated: parents.length > 0 }
    const had = out.dataKey.get(e.blob)
    if (earlier(had, key)) out.dataKey.set(e.blob, key)
  }
  return out
}
