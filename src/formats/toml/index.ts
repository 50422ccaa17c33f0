/**
 * TOML ⇄ tree (our extension; sops has no TOML store). Values are encrypted one
 * by one like YAML/JSON, and the metadata is a top-level `[sops]` table.
 *
 * Mapping: the document is one Mapping; `[a.b]` tables, dotted keys and inline
 * tables are Mappings; arrays are Sequences; `[[a]]` arrays of tables are
 * Sequences of Mappings. Scalars: strings → `str`; integers → `int` (decimal,
 * 64-bit); floats → `float` (Go 'f' text, `+Inf`/`-Inf`/`NaN`); booleans → `bool`
 * (`True`/`False`); the four date-time kinds → `time` holding the exact source
 * literal. Comments become Comment items (see read.ts for placement).
 *
 * `emit` edits the parsed source in place (splice.ts), so comments, key
 * order, blank lines and layout survive byte for byte except for changed values;
 * a tree that no longer matches its source is re-emitted by write.ts.
 */
import type { Node, Tree } from '../../core/tree.js'
import { EmitError, FormatError } from '../../errors.js'
import type { Format } from '../../core/format.js'
import { parseTomlText } from './read.js'
import { spliceEmit } from './splice.js'
import { docInfoOf } from './style.js'
import { writeDocument, writeInlineValue } from './write.js'

const BOM = '\ufeff'
const encoder = new TextEncoder()

function decode(input: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input)
  } catch {
    throw new FormatError('TOML: the document is not valid UTF-8')
  }
}

/** The TOML format. */
export const tomlFormat: Format = {
  name: 'toml',
  metadataLayout: 'nested',

  parse(input: Uint8Array): Tree {
    const text = decode(input)
    const bom = text.startsWith(BOM)
    return parseTomlText(bom ? text.slice(1) : text, bom)
  },

  emit(tree: Tree): Uint8Array {
    if (tree.branches.length !== 1) throw new EmitError('TOML holds exactly one document')
    const root = tree.branches[0]!
    const doc = docInfoOf(tree)
    const text = (doc && spliceEmit(root, doc)) ?? writeDocument(root, doc?.eol ?? '\n')
    return encoder.encode(doc?.bom ? BOM + text : text)
  },

  emitValue(node: Node): Uint8Array {
    if (node.kind === 'scalar' && (node.type === 'str' || node.type === 'bytes')) return node.raw ?? encoder.encode(node.text)
    if (node.kind === 'map') return encoder.encode(writeDocument(node, '\n'))
    return encoder.encode(writeInlineValue(node, 'value', '\n') + '\n')
  },
}
