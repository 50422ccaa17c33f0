/**
 * The JSON format (docs/format.md §7.6): an order-preserving parser (never `JSON.parse`)
 * and an emitter that reproduces sops' output byte for byte (Go escaping,
 * `json.Indent` layout with a TAB by default, one final newline).
 *
 * Decisions beyond sops: duplicate keys and data after the top-level object are
 * rejected (`FormatError`) instead of being kept or silently ignored, and a
 * truncated document is an error (sops reads `{"a":1` as `{a:1}`).
 */
import { ConfigError } from '../../errors.js'
import type { Mapping, Node, Tree } from '../../core/tree.js'
import type { Format } from '../../core/format.js'
import { jsonNode } from './write.js'
import { parseJsonDocument } from './read.js'
import { scalarOutBytes, utf8 } from '../text-bytes.js'

export { goQuote, goQuoteBytes, jsonNode, jsonScalar } from './write.js'

/** Options of the JSON format (sops `stores.json.indent` / `json_binary.indent`). */
export interface JsonFormatOptions {
  /** -1 (default): one TAB per level; N > 0: N spaces; 0: newlines without indentation. */
  indent?: number
}

/** The indent unit for a sops indent setting. */
function indentUnit(indent: number): string {
  if (!Number.isInteger(indent) || indent < -1) throw new ConfigError('JSON indentation smaller than -1 is not accepted')
  return indent === -1 ? '\t' : ' '.repeat(indent)
}

/** A JSON format with the given indentation. */
export function createJsonFormat(options: JsonFormatOptions = {}): Format {
  const unit = indentUnit(options.indent ?? -1)
  const document = (m: Mapping): Uint8Array => utf8(jsonNode(m, unit) + '\n')
  return {
    name: 'json',
    metadataLayout: 'nested',
    parse: (input: Uint8Array): Tree => ({ branches: [parseJsonDocument(input)] }),
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
