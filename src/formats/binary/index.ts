/**
 * The binary format, plain side only (docs/format.md §7.7): the whole file is one `data`
 * string holding the exact bytes. The encrypted side (`{"data": …, "sops": …}`)
 * is written and read by the engine with the JSON format.
 */
import { EmitError } from '../../errors.js'
import type { Node, Tree } from '../../core/tree.js'
import type { Format } from '../../core/format.js'
import { rawStrScalar } from '../../core/raw-scalar.js'
import { scalarOutBytes } from '../text-bytes.js'

const HINT = 'This is likely not an encrypted binary file? If not, use --output-type to select the correct output type.'

function parseBinary(input: Uint8Array): Tree {
  // one copy (the tree never shares the caller's buffer); the text is decoded only if something reads it
  const raw = new Uint8Array(input)
  return { branches: [{ kind: 'map', entries: [{ kind: 'pair', key: 'data', value: rawStrScalar(raw) }] }] }
}

function emitBinary(tree: Tree): Uint8Array {
  if (tree.branches.length !== 1) throw new EmitError('error emitting binary store: there must be exactly one tree branch', { hint: HINT })
  for (const e of tree.branches[0]!.entries) {
    if (e.kind !== 'pair' || e.key !== 'data') continue
    const v = e.value
    if (v.kind === 'scalar' && (v.type === 'str' || v.type === 'bytes')) return scalarOutBytes(v)
    throw new EmitError("error emitting binary store: 'data' key in tree does not have a string value", { hint: HINT })
  }
  throw new EmitError('error emitting binary store: no binary data found in tree', { hint: HINT })
}

// Same shape in every format on purpose: the Format interface (src/core/format.ts), filled in per format.
/** The binary format: whole file ⇄ one `data` string. */
export const binaryFormat: Format = {
  name: 'binary',
  metadataLayout: 'binary',
  parse: parseBinary,
  emit: emitBinary,
  emitValue(_node: Node): Uint8Array {
    throw new EmitError('binary files are not structured and extracting a single value is not possible')
  },
}
