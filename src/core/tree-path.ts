/**
 * Tree paths as sops writes them: `["db"]["password"]`, `['hosts'][0]`.
 * Parsing follows sops: split on `[`, every piece ends with `]`, quoted pieces are
 * keys (first and last char dropped), others must be base-10 list indices.
 */
import { InvalidPathError, PathNotFoundError } from '../errors.js'
import type { Mapping, Node, Path } from './tree.js'

export function parseTreePath(s: string): Path {
  const out: Array<string | number> = []
  for (const piece of s.split('[')) {
    if (piece === '') continue
    if (!piece.endsWith(']')) throw new InvalidPathError('invalid tree path: every component must look like ["key"] or [0]')
    const inner = piece.slice(0, -1)
    if (inner.startsWith('"') || inner.startsWith("'")) {
      if (inner.length < 2) throw new InvalidPathError('invalid tree path: unterminated key')
      out.push(inner.slice(1, -1))
    } else if (/^\d+$/.test(inner)) out.push(Number(inner))
    else throw new InvalidPathError('invalid tree path: a component is neither a quoted key nor a list index')
  }
  return out
}

export const formatTreePath = (p: Path): string => p.map((c) => (typeof c === 'number' ? `[${c}]` : `["${c}"]`)).join('')

/** The node at `path` in a branch; throws PathNotFoundError (an InvalidPathError) naming the missing component. */
export function getAtPath(branch: Mapping, path: Path): Node {
  let cur: Node = branch
  for (const [i, c] of path.entries()) {
    const here = formatTreePath(path.slice(0, i + 1))
    if (typeof c === 'string') {
      if (cur.kind !== 'map') throw new PathNotFoundError(`component ${here} is not a key of a mapping`)
      const found: Node | undefined = cur.entries.find((e) => e.kind === 'pair' && e.key === c)?.kind === 'pair' ? (cur.entries.find((e) => e.kind === 'pair' && e.key === c) as { value: Node }).value : undefined
      if (!found) throw new PathNotFoundError(`component ${here} not found`)
      cur = found
    } else {
      if (cur.kind !== 'seq') throw new PathNotFoundError(`component ${here} is not an index of a list`)
      const items = cur.items.filter((x) => x.kind !== 'comment') as Node[]
      if (c >= items.length) throw new PathNotFoundError(`component ${here} is out of bounds`)
      cur = items[c]!
    }
  }
  return cur
}
