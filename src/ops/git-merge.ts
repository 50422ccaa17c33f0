/**
 * The git merge driver (`merge.sops-like.driver = sops-like git merge %O %A %B %P`):
 * decrypts base, ours and theirs, merges them key by key (src/core/tree-merge.ts)
 * and re-encrypts the result with OUR data key and recipients, reusing ciphertext
 * for every value that did not change, into %A (atomically). Plaintext never
 * touches disk. A conflict leaves %A as ours. Files that are not sops files at all
 * are merged line by line with `git merge-file`.
 */
import { resolve } from 'node:path'
import { loadFormat, type Format } from '../../formats/index.js'
import { unwrapDataKey } from '../core/data-key.js'
import { openTree, sealTree, type OpenedDocument } from '../core/document.js'
import type { Metadata } from '../core/metadata.js'
import { IvStash } from '../core/tree-cipher.js'
import { mergeTrees } from '../core/tree-merge.js'
import { formatTreePath } from '../core/tree-path.js'
import type { Tree } from '../core/tree.js'
import { MetadataNotFoundError } from '../errors.js'
import { writeFileAtomic } from '../io/atomic-write.js'
import { readInput } from '../io/read.js'
import { loadIdentities, type IdentityOptions } from '../keys/identities.js'
import type { Identity } from '../keys/key-source.js'
import { encryptedCodec, pickFormat } from './codec.js'
import { parseEncrypted } from './decrypt.js'
import { runGit } from './git-exec.js'
import { refOfEntry, sameRecipient } from './recipient-diff.js'

export interface GitMergeOptions extends IdentityOptions {
  /** %O: the common ancestor's version (empty when the file was added on both sides). */
  base: string
  /** %A: our version; receives the result. */
  ours: string
  /** %B: their version. */
  theirs: string
  /** %P: the path in the repository (picks the format; the temp files have no extension). */
  path?: string
  inputType?: string
  cwd?: string
  now?: Date
  identities?: Identity[]
}

export type GitMergeResult =
  | { status: 'merged'; changed: boolean; notes: string[] }
  | { status: 'conflict'; conflicts: string[] }
  | { status: 'fallback'; clean: boolean }

type Parsed = { tree: Tree; metadata: Metadata } | null

async function tryParse(bytes: Uint8Array, format: Format): Promise<Parsed> {
  if (!bytes.length) return null
  try {
    return await parseEncrypted(bytes, format.name)
  } catch {
    return null
  }
}

/** Looks up IVs in several stashes (only stashes of the same data key). */
class ChainedStash extends IvStash {
  constructor(private readonly chain: IvStash[]) { super() }
  override lookup(aad: string, type: string, bytes: Uint8Array, inline = false): Uint8Array | undefined {
    for (const s of this.chain) {
      const iv = s.lookup(aad, type, bytes, inline)
      if (iv) return iv
    }
    return undefined
  }
}

const sameKeys = (a: Metadata, b: Metadata): boolean => {
  const x = a.keyGroups.flat().map(refOfEntry)
  const y = b.keyGroups.flat().map(refOfEntry)
  return x.length === y.length && x.every((r) => y.some((s) => sameRecipient(r, s)))
}

/** Runs the merge; writes %A only for a clean merge that changed it. Throws typed errors (no key, bad MAC, …). */
export async function gitMergeFiles(opts: GitMergeOptions): Promise<GitMergeResult> {
  const cwd = opts.cwd ?? process.cwd()
  const abs = (p: string) => resolve(cwd, p)
  const format = await loadFormat(pickFormat(opts.path ?? opts.ours, opts.inputType))
  const [baseBytes, oursBytes, theirsBytes] = [readInput(abs(opts.base)), readInput(abs(opts.ours)), readInput(abs(opts.theirs))]
  const [base, ours, theirs] = await Promise.all([tryParse(baseBytes, format), tryParse(oursBytes, format), tryParse(theirsBytes, format)])
  const name = opts.path ?? opts.ours
  if (!ours && !theirs && !base) {
    const r = runGit(['merge-file', '-L', 'ours', '-L', 'base', '-L', 'theirs', abs(opts.ours), abs(opts.base), abs(opts.theirs)], { cwd, ...(opts.env ? { env: opts.env } : {}) })
    return { status: 'fallback', clean: r.status === 0 }
  }
  if (!ours || !theirs) {
    throw new MetadataNotFoundError(`cannot merge ${name}: ${!ours ? 'ours' : 'theirs'} is not an encrypted ${format.name} file while the other side is; resolve it by hand`)
  }
  const all = [ours, theirs, ...(base ? [base] : [])]
  const identities = opts.identities ?? (await loadIdentities(all.flatMap((p) => p.metadata.keyGroups.flat()), opts))
  const open = async (p: NonNullable<Parsed>): Promise<OpenedDocument> =>
    openTree(p.tree, p.metadata, { dataKey: await unwrapDataKey(p.metadata.keyGroups, p.metadata.shamirThreshold, identities) })
  const o = await open(ours)
  const t = await open(theirs)
  const b = base ? await open(base) : null
  const merged = mergeTrees(b?.tree ?? null, o.tree, t.tree)
  if (merged.conflicts.length) {
    const multi = Math.max(o.tree.branches.length, t.tree.branches.length) > 1
    return { status: 'conflict', conflicts: merged.conflicts.map((c) => `${multi ? `document ${c.branch + 1} ` : ''}${c.path.length ? formatTreePath(c.path) : '(whole document)'}`) }
  }
  const notes: string[] = []
  if (!sameKeys(ours.metadata, theirs.metadata)) notes.push(`${name}: theirs is encrypted to other recipients; the merged file keeps ours (run sops-like updatekeys if that is wrong)`)
  if (!merged.changed) return { status: 'merged', changed: false, notes }
  const same = (d: OpenedDocument | null): d is OpenedDocument => !!d && Buffer.from(d.dataKey).equals(Buffer.from(o.dataKey))
  const stash = new ChainedStash([o.stash, ...[t, b].filter(same).map((d) => d.stash)])
  const sealed = await sealTree(merged.tree, format, { reuse: { ...o, stash }, ...(opts.now ? { now: opts.now } : {}) })
  writeFileAtomic(abs(opts.ours), (await encryptedCodec(format)).emit(sealed.tree))
  return { status: 'merged', changed: true, notes }
}
