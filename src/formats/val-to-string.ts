/**
 * sops `stores.ValToString` (docs/format.md §7.10): how dotenv and INI write a non-string
 * scalar. Floats use Go 'G' (with `.0` for integral values), booleans are lower
 * case, times drop their fractional seconds, null is Go's `<nil>`.
 */
import { floatValToString } from '../core/go-number.js'
import type { Scalar } from '../core/tree.js'
import { scalarOutBytes } from './text-bytes.js'

/** Parse a canonical float text (`formatFloatF` output, `+Inf`, `-Inf`, `NaN`) back to a number. */
export function floatFromText(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity
  if (text === '-Inf') return -Infinity
  if (text === 'NaN') return NaN
  return Number(text)
}

const TRUE_TEXTS = new Set(['True', 'true', 'TRUE', 't', 'T', '1'])

/** The text sops writes for a scalar in a flat (dotenv/INI) file. Strings are returned unchanged. */
export function valToString(s: Scalar): string {
  switch (s.type) {
    case 'str':
      return s.text
    case 'int':
      return s.text
    case 'float':
      return floatValToString(floatFromText(s.text))
    case 'bool':
      return TRUE_TEXTS.has(s.text) ? 'true' : 'false'
    case 'time':
      // Go time.Format(time.RFC3339): no fractional seconds.
      return s.text.replace(/(T\d\d:\d\d:\d\d)\.\d+/, '$1')
    case 'null':
      return '<nil>'
    case 'bytes':
      // Go fmt %v of a []byte: decimal byte values in brackets.
      return `[${Array.from(scalarOutBytes(s)).join(' ')}]`
  }
}
