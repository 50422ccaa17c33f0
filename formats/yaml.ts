/**
 * The YAML format: sops' YAML store (go-yaml v3, indent 4), spec §7.1–§7.5.
 *
 * - parse: every document must be a mapping (a `---`-only document is an empty
 *   branch; a file with no document at all, including whitespace- or comment-only
 *   files, gives zero branches). Comments become ordered `Comment` items; aliases are
 *   expanded into copies; `<<` stays a plain key. Duplicate keys are an error in the
 *   first document only (as in sops). CRLF line ends and a UTF-8 BOM are recorded in
 *   `Tree.style` and written back.
 * - emit: byte-for-byte go-yaml layout (see `yaml-emit.ts` for the few deliberate
 *   differences in odd comment placements).
 * - Non-string keys (`1: a`, `true: b`) are accepted and written back unquoted; their
 *   type is kept in `Pair.style` (sops would refuse to encrypt such a file).
 */
import type { Format } from './format.js'
import { FormatError, EmitError } from '../src/errors.js'
import type { Node, Tree } from '../src/core/tree.js'
import { parseDocuments } from './yaml-parse.js'
import { emitDocuments, emitNode } from './yaml-emit.js'
import { treeStyleOf, type YamlTreeStyle } from './yaml-style.js'

const BOM = [0xef, 0xbb, 0xbf]

function decode(input: Uint8Array): { text: string; style: YamlTreeStyle } {
  const style: YamlTreeStyle = {}
  let bytes = input
  if (BOM.every((b, i) => bytes[i] === b)) {
    style.bom = true
    bytes = bytes.subarray(3)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new FormatError('YAML input is not valid UTF-8')
  }
  const firstLf = text.indexOf('\n')
  if (firstLf > 0 && text[firstLf - 1] === '\r') style.crlf = true
  if (text.includes('\r\n')) text = text.replace(/\r\n/g, '\n')
  return { text, style }
}

function encode(text: string, style: YamlTreeStyle): Uint8Array {
  const body = Buffer.from(style.crlf ? text.replace(/\n/g, '\r\n') : text, 'utf8')
  return style.bom ? Buffer.concat([Buffer.from(BOM), body]) : body
}

/** Runs a recursive step, turning a JS stack overflow into a typed error. */
function guarded<T>(what: 'parse' | 'emit', f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (e instanceof RangeError) {
      throw what === 'parse' ? new FormatError('YAML nesting is too deep') : new EmitError('YAML nesting is too deep to write')
    }
    if (e instanceof FormatError || e instanceof EmitError) throw e
    throw what === 'parse' ? new FormatError('invalid YAML') : new EmitError('could not write YAML')
  }
}

/** The YAML format (`.yaml`, `.yml`). */
export const yamlFormat: Format = {
  name: 'yaml',
  metadataLayout: 'nested',

  parse(input: Uint8Array): Tree {
    const { text, style } = decode(input)
    const branches = guarded('parse', () => parseDocuments(text))
    return style.bom || style.crlf ? { branches, style } : { branches }
  },

  emit(tree: Tree): Uint8Array {
    return encode(guarded('emit', () => emitDocuments(tree.branches)), treeStyleOf(tree.style))
  },

  /** Strings raw (no newline); a map as a whole document; other values as a one-value YAML document. */
  emitValue(node: Node): Uint8Array {
    if (node.kind === 'scalar' && (node.type === 'str' || node.type === 'bytes')) {
      return node.raw ? new Uint8Array(node.raw) : Buffer.from(node.text, 'utf8')
    }
    return encode(guarded('emit', () => emitNode(node)), {})
  },
}

export default yamlFormat
