/**
 * Tree scalars and keys from YAML scalar text, shared by the full reader
 * (`read-full.ts`) and its fast path (`read-fast.ts`) so that both give the same tree.
 */
import type { Scalar, ScalarType } from '../../core/tree.js'
import { resolveScalar, yamlFloat, type ResolvedTag } from './go-scalars.js'
import type { YamlPairStyle } from './style.js'

export const TYPE_OF: Record<ResolvedTag, ScalarType> = {
  null: 'null', bool: 'bool', int: 'int', float: 'float', timestamp: 'time', merge: 'str', str: 'str',
}

/** An untagged plain scalar, resolved as go-yaml does. */
export function plainScalar(text: string): Scalar {
  const r = resolveScalar(text)
  return { kind: 'scalar', type: TYPE_OF[r.tag], text: r.tag === 'merge' ? text : r.text }
}

/** A key: strings as they are; other scalars keep their YAML spelling and type in `Pair.style`. */
export function keyOf(s: Scalar): { text: string; style?: YamlPairStyle } {
  switch (s.type) {
    case 'str':
    case 'bytes':
      return { text: s.text }
    case 'null':
      return { text: 'null', style: { keyType: 'null' } }
    case 'bool':
      return { text: s.text === 'True' ? 'true' : 'false', style: { keyType: 'bool' } }
    case 'float':
      return { text: yamlFloat(s.text), style: { keyType: 'float' } }
    default:
      return { text: s.text, style: { keyType: s.type } }
  }
}
