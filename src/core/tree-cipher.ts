/**
 * Walks a tree leaf by leaf in document order, encrypting or decrypting each value
 * the selectors pick and feeding the MAC. AAD = map keys on the path joined by ':'
 * plus a trailing ':' (list indices left out). Returns new trees; styles are kept.
 */
import { createHash } from 'node:crypto'
import { encryptBytes, decryptString, isCanonicalEnc, isEncrypted, type EncType } from './cipher.js'
import { type Decide } from './selection.js'
import { MacBuilder } from './mac.js'
import { canonicalFromPlain } from './scalar-text.js'
import { fitsInt64 } from './go-number.js'
import { EncryptValueError, TamperedValueError } from '../errors.js'
import { scalarBytes, type Comment, type Mapping, type Node, type Scalar, type Sequence, type Tree } from './tree.js'

/**
 * Remembers the IV of every value decrypted, so unchanged values re-encrypt to identical text.
 * An IV is handed back only for the EXACT plaintext bytes it encrypted, under the same AAD and
 * `type:` label (and the same data key: a stash belongs to one opened document). GCM must never
 * see one (key, IV) pair with two different plaintexts, so the stash holds the decrypted bytes
 * as they were, not their canonical form: `+0000007` decrypted to the int 7 is written back as
 * `7` under a fresh IV. Entries are only collected while decrypting; the lookup indexes (below)
 * are built on a lookup that needs them — a plain `decrypt` or `run` never pays for them.
 *
 * With the same key, IV, AAD, label and bytes, AES-GCM gives the same ciphertext and tag, so the
 * `ENC[…]` text the value was read from is handed back too when it is exactly what encryption
 * would write (no CR/LF in the base64, nothing after `]`): `set` on one value of a large file
 * then runs the cipher over that value only.
 *
 * Re-encryption walks the tree in the order decryption did, so the entry after the last hit is
 * tried first (same AAD, label, inline flag and bytes, compared in full): an unchanged file never
 * builds an index at all. A miss (a changed, added or moved value) looks among the entries with
 * the same AAD (an index by AAD, built on the first miss: a changed value costs no digest of every
 * value); only an AAD shared by many entries (a long list) is looked up by a digest of the bytes.
 */
export class IvStash {
  private entries: StashEntry[] = []
  /** Entry indices by AAD, built on the first miss of the in-order guess. */
  private byAad?: Map<string, number[]>
  /** Entry index by AAD, label, inline flag and bytes (digest), built when an AAD has many entries. */
  private ivs?: Map<string, number>
  /** Index of the entry the next lookup most likely wants (the one after the last hit). */
  private next = 0
  /** The data key the remembered values were decrypted with: a text is reused only under that key. */
  private key?: Uint8Array
  /** Called by decryptTree before remembering anything. */
  bindKey(key: Uint8Array): void {
    this.key ??= key
  }
  private static id(aad: string, type: string, bytes: Uint8Array, inline: boolean): string {
    // small values stand for themselves (cheaper than a hash per value); large ones by their digest
    const v = bytes.length <= 96 ? 'b' + view(bytes).toString('base64') : 'h' + createHash('sha256').update(bytes).digest('base64')
    return `${aad}\u0000${type}\u0000${inline ? 1 : 0}\u0000${v}`
  }
  /** Records that `bytes` (exactly as decrypted) were encrypted under `iv` with this AAD and type label, as `enc` when given. */
  remember(aad: string, type: string, bytes: Uint8Array, iv: Uint8Array, inline = false, enc?: string): void {
    const i = this.entries.push({ aad, type, inline, bytes, iv, enc }) - 1
    if (this.byAad) addTo(this.byAad, aad, i)
    this.ivs?.set(IvStash.id(aad, type, bytes, inline), i)
  }
  /** Forgets everything (a plain decrypt never re-encrypts: the decrypted bytes can go before the output is written). */
  clear(): void {
    this.entries = []
    this.byAad = undefined
    this.ivs = undefined
    this.next = 0
  }
  /** The IV that encrypted exactly `bytes` under this AAD and type label, if any. */
  lookup(aad: string, type: string, bytes: Uint8Array, inline = false): Uint8Array | undefined {
    return this.find(aad, type, bytes, inline)?.iv
  }
  private matches(i: number, aad: string, type: string, bytes: Uint8Array, inline: boolean): boolean {
    const e = this.entries[i]
    return !!e && e.aad === aad && e.type === type && e.inline === inline && Buffer.compare(e.bytes, bytes) === 0
  }
  /** The index of the entry for exactly these bytes, AAD, label and inline flag (the last one remembered), or -1. */
  private indexOf(aad: string, type: string, bytes: Uint8Array, inline: boolean): number {
    if (this.matches(this.next, aad, type, bytes, inline)) return this.next
    if (!this.byAad) {
      this.byAad = new Map()
      this.entries.forEach((e, i) => addTo(this.byAad!, e.aad, i))
    }
    const same = this.byAad.get(aad)
    if (!same) return -1
    if (same.length <= FEW) {
      for (let k = same.length - 1; k >= 0; k--) if (this.matches(same[k]!, aad, type, bytes, inline)) return same[k]!
      return -1
    }
    if (!this.ivs) {
      // later entries win, as in the scan above
      this.ivs = new Map()
      this.entries.forEach((e, i) => this.ivs!.set(IvStash.id(e.aad, e.type, e.bytes, e.inline), i))
    }
    const i = this.ivs.get(IvStash.id(aad, type, bytes, inline))
    return i !== undefined && this.matches(i, aad, type, bytes, inline) ? i : -1
  }
  /**
   * The IV for exactly `bytes` (as `lookup`), with the `ENC[…]` text to reuse when it is canonical
   * and `key` is the data key it was decrypted with.
   */
  find(aad: string, type: string, bytes: Uint8Array, inline = false, key?: Uint8Array): { iv: Uint8Array; enc?: string } | undefined {
    const i = this.indexOf(aad, type, bytes, inline)
    if (i < 0) return undefined
    this.next = i + 1
    const hit = this.entries[i]!
    if (hit.enc !== undefined && !isCanonicalEnc(hit.enc, type, hit.bytes.length, hit.iv.length)) hit.enc = undefined
    const sameKey = key !== undefined && this.key !== undefined && (key === this.key || view(key).equals(view(this.key)))
    return hit.enc !== undefined && sameKey ? { iv: hit.iv, enc: hit.enc } : { iv: hit.iv }
  }
}

/** A Buffer over the same memory (no copy of a data key). */
const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

/** Entries sharing an AAD that are compared one by one; more are looked up by digest. */
const FEW = 32
const addTo = (m: Map<string, number[]>, k: string, i: number): void => {
  const l = m.get(k)
  if (l) l.push(i)
  else m.set(k, [i])
}

interface StashEntry { aad: string; type: string; inline: boolean; bytes: Uint8Array; iv: Uint8Array; enc: string | undefined }

interface Ctx {
  readonly decide: Decide
  readonly key: Uint8Array
  readonly mac: MacBuilder
  readonly macOnlyEncrypted: boolean
  readonly stash?: IvStash
}

const aadOf = (keys: readonly string[]): string => keys.join(':') + ':'
const where = (keys: readonly string[]): string => (keys.length ? keys.map((k) => `["${k}"]`).join('') : 'top level')

function encType(s: Scalar): EncType {
  switch (s.type) {
    case 'str': case 'int': case 'float': case 'bool': case 'time': return s.type
    case 'bytes': return 'str'
    default: throw new EncryptValueError(`cannot encrypt a value of type ${s.type} at ${where([])}`)
  }
}

type Leaf = (node: Scalar | Comment, keys: readonly string[], stack: string[][], inSeq: boolean) => Node | Comment

function walkMap(m: Mapping, keys: string[], stack: string[][], leaf: Leaf): Mapping {
  stack.push([])
  const level = stack[stack.length - 1]!
  const entries: Mapping['entries'] = []
  for (const e of m.entries) {
    if (e.kind === 'comment') {
      // as sops: the comment joins the stack before it is judged, so a comment matching
      // unencrypted_comment_regex stays in clear itself (encrypted_comment_regex skips it)
      level.push(e.text)
      const out = leaf(e, keys, stack, false)
      level[level.length - 1] = commentPlain(e, out)
      entries.push(out as Comment)
      continue
    }
    keys.push(e.key)
    entries.push({ ...e, value: walkNode(e.value, keys, stack, leaf) })
    keys.pop()
    level.length = 0
  }
  stack.pop()
  return { ...m, entries }
}

// the sequence twin of walkMap, kept apart on purpose: each is a plain loop over one node kind
function walkSeq(s: Sequence, keys: string[], stack: string[][], leaf: Leaf): Sequence {
  stack.push([])
  const level = stack[stack.length - 1]!
  const items: Sequence['items'] = []
  for (const it of s.items) {
    if (it.kind === 'comment') {
      level.push(it.text) // judged with itself on the stack, as in walkMap
      const out = leaf(it, keys, stack, true)
      level[level.length - 1] = commentPlain(it, out)
      items.push(out)
      continue
    }
    const out = it.kind === 'scalar' ? leaf(it, keys, stack, true) : walkNode(it, keys, stack, leaf)
    items.push(out)
    if (!(it.kind === 'scalar' && out.kind === 'comment')) level.length = 0
    else level.push((out as Comment).text)
  }
  stack.pop()
  return { ...s, items }
}

/** The plaintext of a comment for the comment stack: whichever of before/after is not encrypted. */
function commentPlain(before: Comment, after: Node | Comment): string {
  if (after.kind === 'comment' && !isEncrypted(after.text)) return after.text
  return before.text
}

function walkNode(n: Node, keys: string[], stack: string[][], leaf: Leaf): Node {
  if (n.kind === 'map') return walkMap(n, keys, stack, leaf)
  if (n.kind === 'seq') return walkSeq(n, keys, stack, leaf)
  return leaf(n, keys, stack, false) as Node
}

function walkTree(tree: Tree, leaf: Leaf): Tree {
  return { ...tree, branches: tree.branches.map((b) => walkMap(b, [], [], leaf)) }
}

/** Encrypts every selected leaf of a plaintext tree; returns the encrypted tree and the MAC (uppercase hex). */
export function encryptTree(tree: Tree, c: Ctx): { tree: Tree; mac: string } {
  const out = walkTree(tree, (node, keys, stack, _inSeq) => {
    const enc = c.decide(keys, stack, node.kind === 'comment')
    const aad = aadOf(keys)
    if (node.kind === 'comment') {
      if (!enc || node.text === '') return node
      const bytes = Buffer.from(node.text, 'utf8')
      const hit = c.stash?.find(aad, 'comment', bytes, node.inline, c.key)
      return { ...node, text: hit?.enc ?? encryptBytes(bytes, 'comment', c.key, aad, hit?.iv) }
    }
    if (node.type === 'null') return node
    const bytes = scalarBytes(node)
    if (!c.macOnlyEncrypted || enc) {
      // sops reads such an int as Go uint64 (or refuses it) and cannot encrypt or MAC it (exit 23)
      if (node.type === 'int' && !fitsInt64(BigInt(node.text))) throw new EncryptValueError(`the integer at ${where(keys)} is outside the signed 64-bit range, which sops cannot encrypt; quote it to keep it as a string`)
      c.mac.add(bytes)
    }
    if (!enc) return node
    const type = encType(node)
    // an unchanged value keeps its ciphertext as read (same key, IV, AAD and bytes: the same text)
    const hit = c.stash?.find(aad, type, bytes, false, c.key)
    const text = hit?.enc ?? encryptBytes(bytes, type, c.key, aad, hit?.iv)
    const s: Scalar = { kind: 'scalar', type: 'str', text }
    if (node.style !== undefined) s.style = node.style
    return s
  })
  return { tree: out, mac: c.mac.hex() }
}

/** Decrypts every selected leaf of an encrypted tree; returns the plaintext tree and the computed MAC. */
export function decryptTree(tree: Tree, c: Ctx): { tree: Tree; mac: string } {
  c.stash?.bindKey(c.key)
  const out = walkTree(tree, (node, keys, stack, inSeq) => {
    const enc = c.decide(keys, stack, node.kind === 'comment')
    const aad = aadOf(keys)
    if (node.kind === 'comment') {
      if (!enc || !isEncrypted(node.text)) return node // clear comments of older files are kept
      try {
        const d = decryptString(node.text, c.key, aad, where(keys))
        const text = d.plain.toString('utf8')
        c.stash?.remember(aad, 'comment', d.plain, d.iv, false, node.text)
        return { ...node, text, inline: false }
      } catch {
        return node // sops keeps a comment that fails to decrypt
      }
    }
    if (node.type === 'null') return node
    if (!enc) {
      if (!c.macOnlyEncrypted) c.mac.add(scalarBytes(node))
      return node
    }
    if (node.type !== 'str') throw new TamperedValueError(`expected an encrypted value at ${where(keys)}`)
    if (node.text === '') return node
    const d = decryptString(node.text, c.key, aad, where(keys))
    if (d.type === 'comment') {
      if (!inSeq) throw new TamperedValueError(`unexpected encrypted comment as value at ${where(keys)}`)
      c.stash?.remember(aad, 'comment', d.plain, d.iv, false, node.text)
      const cm: Comment = { kind: 'comment', text: d.plain.toString('utf8'), inline: false }
      return cm
    }
    const s = canonicalFromPlain(d.type, d.plain, where(keys))
    if (node.style !== undefined) s.style = node.style
    // the bytes that were encrypted, not the canonical text: an IV is reused only for these exact bytes
    c.stash?.remember(aad, d.type, d.plain, d.iv, false, node.text)
    c.mac.add(scalarBytes(s))
    return s
  })
  return { tree: out, mac: c.mac.hex() }
}

/** A scalar leaf as the selectors see it (see `leafSelection`). */
export interface LeafSelection {
  /** Document index, map keys on the path and the leaf's rank among leaves with those keys: stable across a re-encryption. */
  id: string
  /** The map keys on the path (list indices left out, as in the AAD). */
  keys: string[]
  /** `decide` selects it for encryption (meaningful on a plaintext tree: comment selectors need the comments' text). */
  selected: boolean
  /** It holds an `ENC[...]` value (meaningful on an encrypted tree). */
  sealed: boolean
  /** Null or empty: never encrypted, whatever the selectors say. */
  empty: boolean
}

const ENC_COMMENT = /,type:comment\]$/

/**
 * Every scalar leaf of a tree, plaintext or encrypted, in document order, with what `decide`
 * says of it — walked exactly as encryption walks it, so comment-based selectors see the same
 * comments. An encrypted comment stored as a list item is a comment, not a leaf, on both sides.
 */
export function leafSelection(tree: Tree, decide: Decide): LeafSelection[] {
  const out: LeafSelection[] = []
  tree.branches.forEach((b, doc) => {
    const seen = new Map<string, number>()
    walkMap(b, [], [], (node, keys, stack) => {
      if (node.kind === 'comment' || (node.type === 'str' && isEncrypted(node.text) && ENC_COMMENT.test(node.text))) return node
      const path = `${doc}\u0000${keys.join('\u0000')}`
      const rank = seen.get(path) ?? 0
      seen.set(path, rank + 1)
      out.push({
        id: `${path}\u0000#${rank}`,
        keys: [...keys],
        selected: decide(keys, stack, false),
        sealed: node.type === 'str' && isEncrypted(node.text),
        empty: node.type === 'null' || scalarBytes(node).length === 0,
      })
      return node
    })
  })
  return out
}

/**
 * Whether some scalar leaf that `leafSelection` would list is left unselected by `decide` and is
 * not empty: the same walk and the same judgement, without building each leaf's record (the
 * common case, every value selected, then costs one `decide` call per leaf).
 */
export function hasClearLeaf(tree: Tree, decide: Decide): boolean {
  let found = false
  for (const b of tree.branches) {
    walkMap(b, [], [], (node, keys, stack) => {
      if (found || node.kind === 'comment' || (node.type === 'str' && isEncrypted(node.text) && ENC_COMMENT.test(node.text))) return node
      if (!decide(keys, stack, false) && node.type !== 'null' && scalarBytes(node).length !== 0) found = true
      return node
    })
    if (found) return true
  }
  return false
}
