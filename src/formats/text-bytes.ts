/**
 * Byte/text helpers shared by the JSON, dotenv, INI and binary formats: UTF-8
 * decoding that keeps the exact bytes when they are not valid UTF-8, and Go's
 * `unicode.IsSpace` trimming (which differs from `String#trim`).
 */
import type { Scalar } from '../core/tree.js'

const lossy = new TextDecoder('utf-8', { ignoreBOM: true })
const strict = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true })

/** UTF-8 → string; invalid sequences become U+FFFD; a BOM is kept as U+FEFF. */
export function decodeLossy(bytes: Uint8Array): string {
  return lossy.decode(bytes)
}

/** UTF-8 → string, or `undefined` when the bytes are not valid UTF-8. */
export function decodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes)
  } catch {
    return undefined
  }
}

/** Text of some bytes plus the bytes themselves when they are not valid UTF-8 (see `Scalar.raw`). */
export function textAndRaw(bytes: Uint8Array): { text: string; raw?: Uint8Array } {
  const text = decodeStrict(bytes)
  return text !== undefined ? { text } : { text: decodeLossy(bytes), raw: Uint8Array.from(bytes) }
}

/** A str scalar from bytes, with `raw` only when they are not valid UTF-8. */
export function strFromBytes(bytes: Uint8Array): Scalar {
  const { text, raw } = textAndRaw(bytes)
  return raw ? { kind: 'scalar', type: 'str', text, raw } : { kind: 'scalar', type: 'str', text }
}

/** UTF-8 bytes of a string (a large one is a view of its own fresh buffer: no second copy). */
export function utf8(text: string): Uint8Array {
  const b = Buffer.from(text, 'utf8')
  return b.length >= 4096 ? new Uint8Array(b.buffer, b.byteOffset, b.length) : new Uint8Array(b)
}

/**
 * The UTF-8 bytes of text given as parts (a writer's output), written into one buffer: the
 * parts are never joined into one big string first. Small parts are joined in groups.
 */
export function utf8Parts(parts: readonly string[]): Uint8Array {
  const groups: string[] = []
  let run: string[] = []
  let runLength = 0
  for (const p of parts) {
    run.push(p)
    runLength += p.length
    if (runLength >= 1 << 16) {
      groups.push(run.length === 1 ? p : run.join(''))
      run = []
      runLength = 0
    }
  }
  if (run.length) groups.push(run.join(''))
  let total = 0
  for (const g of groups) total += Buffer.byteLength(g, 'utf8')
  const out = Buffer.allocUnsafe(total)
  let at = 0
  for (const g of groups) at += out.write(g, at, 'utf8')
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}

/** The bytes a scalar stands for: `raw` if present, else the UTF-8 of `text`. */
export function scalarOutBytes(s: Scalar): Uint8Array {
  return s.raw ?? utf8(s.text)
}

/** Concatenate byte chunks. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks))
}

// Go unicode.IsSpace: '\t', '\n', '\v', '\f', '\r', ' ', U+0085, U+00A0 and the Unicode Z category spaces.
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const LEADING = new RegExp(`^[${GO_SPACE}]+`)
const TRAILING = new RegExp(`[${GO_SPACE}]+$`)

/** Go `strings.TrimLeftFunc(s, unicode.IsSpace)`. */
export const goTrimLeft = (s: string): string => s.replace(LEADING, '')
/** Go `strings.TrimSpace`. */
export const goTrimSpace = (s: string): string => s.replace(LEADING, '').replace(TRAILING, '')
