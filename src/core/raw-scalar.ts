/**
 * A string scalar for bytes that are not (or need not be) valid UTF-8 — a binary file, a
 * decrypted binary value. The bytes are what is encrypted, MACed and written; the text (invalid
 * sequences as U+FFFD) is only for readers of the tree, so it is decoded on first read rather
 * than for every 20 MB payload that never needs it.
 */
import type { Scalar } from './tree.js'

const lossy = new TextDecoder('utf-8', { ignoreBOM: true })

/** `{ kind: 'scalar', type: 'str', raw, text }` whose `text` is decoded from `raw` when first read. */
export function rawStrScalar(raw: Uint8Array): Scalar {
  let text: string | undefined
  const s = { kind: 'scalar', type: 'str', raw } as Scalar
  Object.defineProperty(s, 'text', {
    enumerable: true,
    configurable: true,
    get: () => (text ??= lossy.decode(raw)),
    set: (v: string) => {
      text = v
    },
  })
  return s
}
