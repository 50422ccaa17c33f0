/**
 * The YAML format: sops' YAML store (go-yaml v3, indent 4), docs/format.md §7.1–§7.5.
 *
 * - parse: every document must be a mapping (a `---`-only document is an empty
 *   branch; a file with no document at all, including whitespace- or comment-only
 *   files, gives zero branches). Comments become ordered `Comment` items; aliases are
 *   expanded into copies, at most 10× the input plus 1 MiB (LimitExceededError beyond);
 *   `<<` stays a plain key. Duplicate keys are an error in the
 *   first document only (as in sops). CRLF line ends and a UTF-8 BOM are recorded in
 *   `Tree.style` and written back.
 * - emit: byte-for-byte go-yaml layout (see `layout.ts` for the few deliberate
 *   differences in odd comment placements).
 * - Non-string keys (`1: a`, `true: b`) are read and written back unquoted; their type is
 *   kept in `Pair.style`, so encrypt and edit refuse them as sops does (core/plain-checks.ts).
 */
import type { Format } from '../../core/format.js'
import { FormatError, EmitError, LimitExceededError } from '../../errors.js'
import type { Node, Tree } from '../../core/tree.js'
import { parseDocuments } from './read-full.js'
import { bestIndent, emitDocumentParts, emitNode } from './layout.js'
import { treeStyleOf, type YamlTreeStyle } from './style.js'
import { YamlLoadError } from './library.js'
import { utf8Parts } from '../text-bytes.js'

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
    const at = firstInvalidUtf8(bytes)
    const before = new TextDecoder().decode(bytes.subarray(0, at))
    const lineStart = before.lastIndexOf('\n') + 1
    const line = before.split('\n').length
    throw new FormatError('YAML input is not valid UTF-8', line, Array.from(before.slice(lineStart)).length + 1)
  }
  const firstLf = text.indexOf('\n')
  if (firstLf > 0 && text[firstLf - 1] === '\r') style.crlf = true
  if (text.includes('\r\n')) text = text.replace(/\r\n/g, '\n')
  return { text, style }
}

/** Byte offset of the first byte that does not start a well-formed UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0
  while (i < b.length) {
    const c = b[i]!
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0
    if (n === 0 || i + n > b.length) return i
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf
    for (let k = 1; k < n; k++) {
      const x = b[i + k]!
      if (x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return i
    }
    i += n
  }
  return i
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
    if (e instanceof FormatError || e instanceof EmitError || e instanceof LimitExceededError || e instanceof YamlLoadError) throw e
    throw what === 'parse' ? new FormatError('invalid YAML') : new EmitError('could not write YAML')
  }
}

/** Options of the YAML format (sops `--indent` / `stores.yaml.indent`). */
export interface YamlFormatOptions {
  /** Spaces per level: 0 (default) is sops' 4; go-yaml writes anything outside 2…9 as 2; negative is refused. */
  indent?: number
}

/** A YAML format writing with the given indentation (`--extract` keeps go-yaml's default, as sops' yaml.Marshal). */
export function createYamlFormat(options: YamlFormatOptions = {}): Format {
  const indent = options.indent ?? 0
  if (!Number.isInteger(indent) || indent < 0) throw new EmitError('YAML negative indentation is not accepted: give --indent 0 or more')
  const best = bestIndent(indent)
  return {
    name: 'yaml',
    metadataLayout: 'nested',

    parse(input: Uint8Array): Tree {
      const { text, style } = decode(input)
      const branches = guarded('parse', () => parseDocuments(text))
      return style.bom || style.crlf ? { branches, style } : { branches }
    },

    emit(tree: Tree): Uint8Array {
      const style = treeStyleOf(tree.style)
      const parts = guarded('emit', () => emitDocumentParts(tree.branches, best))
      // the usual file (no CRLF, no BOM): bytes straight from the parts, no joined copy of the text
      return style.crlf || style.bom ? encode(parts.join(''), style) : utf8Parts(parts)
    },

    /** Strings raw (no newline); a map as a whole document; other values as a one-value YAML document. */
    emitValue(node: Node): Uint8Array {
      if (node.kind === 'scalar' && (node.type === 'str' || node.type === 'bytes')) {
        return node.raw ? new Uint8Array(node.raw) : Buffer.from(node.text, 'utf8')
      }
      return encode(guarded('emit', () => emitNode(node)), {})
    },
  }
}

/** The YAML format (`.yaml`, `.yml`) with sops' default indent (4). */
export const yamlFormat: Format = createYamlFormat()

export default yamlFormat
