/**
 * The JSON format (docs/format.md §7.6): an order-preserving parser (never `JSON.parse`)
 * and an emitter that reproduces sops' output byte for byte (Go escaping,
 * `json.Indent` layout with a TAB by default, one final newline).
 *
 * As sops, duplicate keys are kept and data after the top-level object is ignored; both
 * are reported in `Tree.notes` (readers warn, encrypt refuses: it would lose the data).
 * A truncated document is an error.
 */
import { EmitError } from '../../errors.js'
import type { Mapping, Node, Tree } from '../../core/tree.js'
import type { Format } from '../../core/format.js'
import { jsonNode, jsonNodeParts } from './write.js'
import { parseJsonDocument } from './read.js'
import { scalarOutBytes, utf8, utf8Parts } from '../text-bytes.js'

export { goQuote, goQuoteBytes, jsonNode, jsonScalar } from './write.js'

/** Options of the JSON format (sops `stores.json.indent` / `json_binary.indent`). */
export interface JsonFormatOptions {
  /** -1 (default): one TAB per level; N > 0: N spaces; 0: newlines without indentation. */
  indent?: number
}

/** The indent unit for a sops indent setting. */
function indentUnit(indent: number): string {
  if (!Number.isInteger(indent) || indent < -1) throw new EmitError('JSON indentation smaller than -1 is not accepted: give --indent -1 (a tab) or more')
  return indent === -1 ? '\t' : ' '.repeat(indent)
}

/** A JSON format with the given indentation. */
export function createJsonFormat(options: JsonFormatOptions = {}): Format {
  const unit = indentUnit(options.indent ?? -1)
  const document = (m: Mapping): Uint8Array => {
    const parts = jsonNodeParts(m, unit)
    parts.push('\n')
    return utf8Parts(parts) // no joined copy of the whole text
  }
  return {
    name: 'json',
    metadataLayout: 'nested',
    parse: (input: Uint8Array): Tree => {
      const notes: string[] = []
      const branches = [parseJsonDocument(input, notes)]
      return notes.length ? { branches, notes } : { branches }
    },
    emit: (tree: Tree): Uint8Array => document(tree.branches[0] ?? { kind: 'map', entries: [] }),
    emitValue: (node: Node): Uint8Array => {
      if (node.kind === 'scalar' && node.type === 'str') return scalarOutBytes(node)
      if (node.kind === 'map') return document(node)
      return utf8(jsonNode(node, unit))
    },
  }
}

/** The JSON format with sops' default layout (TAB indent). */
export const jsonFormat: Format = createJsonFormat()
