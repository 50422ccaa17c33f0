/**
 * The dotenv format exactly as sops reads and writes it (docs/format.md §7.8): byte-level
 * `KEY=VALUE` lines split at the first `=`, `#` comment lines, only the two
 * characters `\n` escaped, no quotes, no trimming, no `export`. A `\r` stays part
 * of its line, so CRLF files round-trip byte for byte.
 *
 * Values that are not valid UTF-8 keep their bytes in `Scalar.raw`.
 *
 * Beyond sops: a key that would read back differently (contains `=` or a line
 * break, or starts with `#`) or a comment containing a line break is an
 * `EmitError` instead of a silently corrupted file.
 */
import { EmitError, FormatError } from '../../errors.js'
import type { Mapping, Node, Pair, Comment, Tree } from '../../core/tree.js'
import type { Format } from '../../core/format.js'
import { concatBytes, decodeLossy, scalarOutBytes, strFromBytes, utf8 } from '../text-bytes.js'
import { valToString } from '../val-to-string.js'

const NL = 0x0a
const EQ = 0x3d
const HASH = 0x23
const BACKSLASH = 0x5c

/** Replace every two-byte `\n` sequence by a newline byte. */
function unescapeNewlines(b: Uint8Array): Uint8Array {
  if (!b.includes(BACKSLASH)) return b
  const out: number[] = []
  for (let i = 0; i < b.length; i++) {
    if (b[i] === BACKSLASH && b[i + 1] === 0x6e) {
      out.push(NL)
      i++
    } else out.push(b[i]!)
  }
  return Uint8Array.from(out)
}

/** Replace every newline byte by the two bytes `\n`. */
function escapeNewlines(b: Uint8Array): Uint8Array {
  if (!b.includes(NL)) return b
  const out: number[] = []
  for (const c of b) {
    if (c === NL) out.push(BACKSLASH, 0x6e)
    else out.push(c)
  }
  return Uint8Array.from(out)
}

function parseDotenv(input: Uint8Array): Tree {
  const entries: Array<Pair | Comment> = []
  let start = 0
  let lineNo = 0
  while (start <= input.length) {
    let end = input.indexOf(NL, start)
    if (end === -1) end = input.length
    const line = input.subarray(start, end)
    lineNo++
    start = end + 1
    if (line.length === 0) continue
    if (line[0] === HASH) {
      entries.push({ kind: 'comment', text: decodeLossy(line.subarray(1)), inline: false })
      continue
    }
    const eq = line.indexOf(EQ)
    if (eq === -1) throw new FormatError('invalid dotenv line: expected KEY=VALUE', lineNo)
    entries.push({ kind: 'pair', key: decodeLossy(line.subarray(0, eq)), value: strFromBytes(unescapeNewlines(line.subarray(eq + 1))) })
  }
  return { branches: [{ kind: 'map', entries }] }
}

function emitDotenv(tree: Tree): Uint8Array {
  const branch: Mapping = tree.branches[0] ?? { kind: 'map', entries: [] }
  const chunks: Uint8Array[] = []
  for (const e of branch.entries) {
    if (e.kind === 'comment') {
      if (e.text.includes('\n')) throw new EmitError('cannot write a multi-line comment in a dotenv file')
      chunks.push(utf8('#' + e.text + '\n'))
      continue
    }
    const v = e.value
    if (v.kind !== 'scalar') throw new EmitError(`cannot use complex value in dotenv file; offending key ${e.key}`)
    if (e.key.includes('=') || e.key.includes('\n') || e.key.startsWith('#')) {
      throw new EmitError(`cannot write key ${JSON.stringify(e.key)} in a dotenv file: it would not read back`)
    }
    const value = v.type === 'str' ? escapeNewlines(scalarOutBytes(v)) : utf8(valToString(v))
    chunks.push(utf8(e.key + '='), value, utf8('\n'))
  }
  return concatBytes(chunks)
}

// Same shape in every format on purpose: the Format interface (src/core/format.ts), filled in per format.
/** The dotenv format (metadata as flattened `sops_*` keys). */
export const dotenvFormat: Format = {
  name: 'dotenv',
  metadataLayout: 'prefixed',
  parse: parseDotenv,
  emit: emitDotenv,
  emitValue(node: Node): Uint8Array {
    if (node.kind === 'scalar' && node.type === 'str') return scalarOutBytes(node)
    throw new EmitError('the dotenv format can only extract string values')
  },
}
