/**
 * The keyless view of an encrypted document: what a reviewer without a key sees in
 * `git diff`. Every encrypted value becomes a short stable tag derived from its
 * ciphertext (`<encrypted:3f2a91c0>`: the first 8 hex digits of sha256 of the ENC
 * string, so an unchanged value keeps its tag), encrypted comments become
 * `<encrypted comment>`, and the `sops` block is one summary line. Needs no key.
 * Also the key header textconv puts on top of every view (with a key or without): the
 * file's recipients and a fingerprint of its wrapped data key, so a diff shows a
 * recipient added or removed, or a rotation, as a one-line hunk.
 */
import { createHash } from 'node:crypto'
import type { Metadata } from '../../core/metadata.js'
import type { Comment, Mapping, Node, Scalar, Sequence, Tree } from '../../core/tree.js'
import { entryId } from '../../keys/key-source.js'

const ENC = 'ENC[AES256_GCM,'
const isEnc = (s: string): boolean => s.startsWith(ENC)
const isEncComment = (s: string): boolean => isEnc(s) && s.endsWith(',type:comment]')

/** `<encrypted:xxxxxxxx>`: first 8 hex digits of sha256 over the ENC string. */
export function encryptedTag(enc: string): string {
  return `<encrypted:${createHash('sha256').update(enc, 'utf8').digest('hex').slice(0, 8)}>`
}

export const ENCRYPTED_COMMENT = '<encrypted comment>'

function comment(c: Comment): Comment {
  return isEnc(c.text) ? { ...c, text: ' ' + ENCRYPTED_COMMENT } : c
}

function node(n: Node): Node {
  switch (n.kind) {
    case 'map':
      return { ...n, entries: n.entries.map((e) => (e.kind === 'comment' ? comment(e) : { ...e, value: node(e.value) })) } satisfies Mapping
    case 'seq':
      return { ...n, items: n.items.map((i) => (i.kind === 'comment' ? comment(i) : node(i))) } satisfies Sequence
    case 'scalar': {
      if (n.type !== 'str' || !isEnc(n.text)) return n
      const s: Scalar = { kind: 'scalar', type: 'str', text: isEncComment(n.text) ? ENCRYPTED_COMMENT : encryptedTag(n.text) }
      if (n.style !== undefined) s.style = n.style
      return s
    }
  }
}

/** The data tree (metadata already detached) with encrypted values and comments replaced by tags. */
export function keylessTree(data: Tree): Tree {
  return { ...data, branches: data.branches.map((b) => node(b) as Mapping) }
}

const short = (id: string): string => (id.length > 72 ? `${id.slice(0, 60)}…` : id)

/**
 * The data key's fingerprint: the first 12 hex digits of SHA-256 over the file's sorted
 * wrapped keys (the `enc` fields), so it is public and NEVER derived from the key itself.
 * It changes when the key is rotated or wrapped anew (a recipient added or removed), and
 * stays when only values change (set, edit and updatekeys' additions keep the others' `enc`).
 */
export function dataKeyFingerprint(md: Metadata): string {
  const encs = md.keyGroups.flat().map((e) => e.fields.enc ?? '').sort()
  return createHash('sha256').update(encs.join('\n'), 'utf8').digest('hex').slice(0, 12)
}

/** How a recipient appears in the header: the config's name, else its identifier. */
function label(type: string, id: string, nameOf?: (r: { type: string; id: string }) => string | undefined): string {
  const name = nameOf?.({ type, id })
  if (name) return name
  return type === 'age' ? short(id) : `${type} ${short(id)}`
}

/**
 * The one-line key header (without the comment prefix):
 * `sops-like: recipients alice, age1…; data key 3f2a91c0d1e2`, groups and threshold when
 * there are several. `nameOf` gives the config's names for recipients.
 */
export function keyHeader(md: Metadata, nameOf?: (r: { type: string; id: string }) => string | undefined): string {
  const groups = md.keyGroups.map((g) => g.map((e) => label(e.type, entryId(e), nameOf)).join(', '))
  const who = groups.length > 1 ? groups.map((g, i) => `group ${i + 1}: ${g}`).join('; ') : groups[0] ?? ''
  const threshold = md.keyGroups.length > 1 && md.shamirThreshold ? `; shamir threshold ${md.shamirThreshold}` : ''
  return `sops-like: recipients ${who}${threshold}; data key ${dataKeyFingerprint(md)}`
}

/** The keyless view's closing line for the `sops` block (the recipients are in the key header). */
export function metadataSummary(md: Metadata): string {
  return `sops: lastmodified ${md.lastmodified}`
}
