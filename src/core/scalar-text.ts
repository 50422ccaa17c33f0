/**
 * Decrypted plaintext bytes + sops type → canonical Scalar, parsing the way Go's
 * strconv does (Atoi, ParseFloat, ParseBool) and re-serializing canonically.
 * The canonical text may differ from the bytes that were encrypted (`+0000007` → `7`):
 * it feeds the MAC and the tree, never the IV stash (tree-cipher keys that by the exact
 * decrypted bytes, so a changed text always gets a fresh IV).
 */
import { isUtf8 } from 'node:buffer'
import { TamperedValueError } from '../errors.js'
import { rawStrScalar } from './raw-scalar.js'
import { formatFloatF } from './go-number.js'
import type { Scalar } from './tree.js'
import type { EncType } from './cipher.js'

const BOOL_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const BOOL_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])
const GO_FLOAT = /^[+-]?(?:(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?|\d+\.|inf|infinity|nan)$/i

/**
 * Valid UTF-8 (checked on the bytes, no decode and re-encode) → the text; anything else keeps
 * its bytes as `raw`, a view of the decrypted buffer (no copy), with the text decoded on demand.
 */
function strScalar(bytes: Buffer): Scalar {
  if (isUtf8(bytes)) return { kind: 'scalar', type: 'str', text: bytes.toString('utf8') }
  return rawStrScalar(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
}

export function canonicalFromPlain(type: EncType, plain: Buffer, where: string): Scalar {
  const bad = (): never => {
    throw new TamperedValueError(`decrypted value at ${where} is not a valid ${type}`)
  }
  switch (type) {
    case 'str':
    case 'bytes':
      return strScalar(plain)
    case 'int': {
      const t = plain.toString('utf8')
      if (!/^[+-]?\d+$/.test(t)) bad()
      return { kind: 'scalar', type: 'int', text: BigInt(t).toString() }
    }
    case 'float': {
      const t = plain.toString('utf8')
      if (!GO_FLOAT.test(t)) bad()
      const lower = t.toLowerCase().replace(/^\+/, '')
      const x = lower.includes('nan') ? NaN : lower.includes('inf') ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t.replace(/_/g, ''))
      return { kind: 'scalar', type: 'float', text: formatFloatF(x) }
    }
    case 'bool': {
      const t = plain.toString('utf8')
      if (BOOL_TRUE.has(t)) return { kind: 'scalar', type: 'bool', text: 'True' }
      if (BOOL_FALSE.has(t)) return { kind: 'scalar', type: 'bool', text: 'False' }
      return bad()
    }
    case 'time': {
      const t = plain.toString('utf8')
      return { kind: 'scalar', type: 'time', text: t }
    }
    default:
      return bad()
  }
}
