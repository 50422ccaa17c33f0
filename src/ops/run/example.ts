/**
 * `example`: a `.env.example`-style skeleton of an encrypted file, made without any
 * key: the same keys and structure, every value an empty string, plain comments
 * kept, encrypted comments dropped, no `sops` metadata.
 */
import { resolve } from 'node:path'
import { loadFormat } from '../../formats/index.js'
import type { Mapping, Node, Sequence, Tree } from '../../core/tree.js'
import { readInput } from '../../io/read.js'
import { pickFormat } from '../crypt/codec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { aboutFile, displayPath } from './load-env.js'

const ENC_COMMENT = /^\s*ENC\[AES256_GCM,/

function blank(n: Node): Node {
  switch (n.kind) {
    case 'map':
      return blankMap(n)
    case 'seq': {
      const items: Sequence['items'] = []
      for (const i of n.items) {
        if (i.kind !== 'comment') items.push(blank(i))
        else if (!ENC_COMMENT.test(i.text)) items.push({ ...i })
      }
      return { ...n, items }
    }
    default:
      return n.style === undefined ? { kind: 'scalar', type: 'str', text: '' } : { kind: 'scalar', type: 'str', text: '', style: n.style }
  }
}

function blankMap(m: Mapping): Mapping {
  const entries: Mapping['entries'] = []
  for (const e of m.entries) {
    if (e.kind === 'pair') entries.push({ ...e, value: blank(e.value) })
    else if (!ENC_COMMENT.test(e.text)) entries.push({ ...e })
  }
  return { ...m, entries }
}

/** The skeleton of a parsed (still encrypted) data tree. */
export function skeletonTree(tree: Tree): Tree {
  return { ...tree, branches: tree.branches.map(blankMap) }
}

/** The skeleton of an encrypted file's bytes, in the file's format. */
export async function exampleBytes(input: Uint8Array, format: string): Promise<Uint8Array> {
  const name = pickFormat(undefined, format)
  const { tree } = await parseEncrypted(input, name)
  return (await loadFormat(name)).emit(skeletonTree(tree))
}

/** The skeleton of an encrypted file (format from its name unless `inputType`). */
export async function exampleFile(file: string, opts: { cwd?: string; inputType?: string } = {}): Promise<Uint8Array> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  const abs = resolve(cwd, file)
  const bytes = readInput(abs)
  try {
    return await exampleBytes(bytes, pickFormat(abs, opts.inputType))
  } catch (e) {
    throw aboutFile(e, displayPath(abs, cwd))
  }
}
