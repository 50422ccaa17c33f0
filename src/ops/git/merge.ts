/**
 * The git merge driver (`merge.sops-like.driver = sops-like git merge %O %A %B %P`):
 * decrypts base, ours and theirs, merges them key by key (src/core/tree-merge.ts)
 * and writes the result into %A (atomically). Recipients and the data key follow
 * src/ops/git/merge-keys.ts (a removal or rotation on either side is never undone):
 * when they end up as ours, the result keeps OUR data key and reuses ciphertext for
 * every value that did not change; otherwise every value is re-encrypted under a
 * fresh data key wrapped to the merged recipients. Plaintext never touches disk.
 * A value conflict leaves %A as ours' values (re-encrypted if the keys moved on); a
 * side no key of ours opens refuses the merge (MergeRefusedError) and leaves %A as
 * ours. Files that are not sops files at all are merged with `git merge-file`.
 */
import { decryptionOrderOf } from '../../core/decryption-order.js'
import { resolve } from 'node:path'
import { loadFormat, type Format } from '../../formats/index.js'
import { unwrapDataKey } from '../../core/data-key.js'
import { openTree, sealTree, type OpenedDocument } from '../../core/document.js'
import type { Metadata } from '../../core/metadata.js'
import { IvStash } from '../../core/tree-cipher.js'
import { mergeTrees } from '../../core/tree-merge.js'
import { formatTreePath } from '../../core/tree-path.js'
import type { Tree } from '../../core/tree.js'
import { MergeRefusedError, MetadataNotFoundError, NoIdentityError } from '../../errors.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { readInput } from '../../io/read.js'
import { loadIdentities, type IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { encryptedCodec, pickFormat } from '../crypt/codec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { runGit } from '../../io/git-exec.js'
import { describeKeyMerge, planKeyMerge } from './merge-keys.js'
import { recipientsFor, resealRotated, rulePgpKeyFiles } from '../keys/rotate.js'
import { defined } from '../../defined.js'

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
  /** `resealed`: ours' values were re-encrypted to the merged recipients under a new data key. */
  | { status: 'conflict'; conflicts: string[]; resealed: boolean }
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
  override find(aad: string, type: string, bytes: Uint8Array, inline = false, key?: Uint8Array): { iv: Uint8Array; enc?: string } | undefined {
    for (const s of this.chain) {
      const hit = s.find(aad, type, bytes, inline, key)
      if (hit) return hit
    }
    return undefined
  }
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
    const r = runGit(['merge-file', '-L', 'ours', '-L', 'base', '-L', 'theirs', abs(opts.ours), abs(opts.base), abs(opts.theirs)], { cwd, ...defined({ env: opts.env }) })
    return { status: 'fallback', clean: r.status === 0 }
  }
  if (!ours || !theirs) {
    throw new MetadataNotFoundError(`cannot merge ${name}: ${!ours ? 'ours' : 'theirs'} is not an encrypted ${format.name} file while the other side is; resolve it by hand`)
  }
  const all = [ours, theirs, ...(base ? [base] : [])]
  const order = decryptionOrderOf(opts)
  const identities = opts.identities ?? (await loadIdentities(all.flatMap((p) => p.metadata.keyGroups.flat()), opts))
  const open = async (p: NonNullable<Parsed>, side: 'ours' | 'theirs' | 'the common ancestor'): Promise<OpenedDocument> => {
    let dataKey: Uint8Array
    try {
      dataKey = await unwrapDataKey(p.metadata.keyGroups, p.metadata.shamirThreshold, identities, order)
    } catch (e) {
      if (!(e instanceof NoIdentityError)) throw e
      throw new MergeRefusedError(`none of your keys decrypts ${side}, so its recipients and data key cannot be merged safely: ask a teammate who can decrypt every side to do this merge (the file is left as ours, conflicted)`)
    }
    return openTree(p.tree, p.metadata, { dataKey })
  }
  const o = await open(ours, 'ours')
  const t = await open(theirs, 'theirs')
  const b = base ? await open(base, 'the common ancestor') : null
  const plan = planKeyMerge(name, b, o, t)
  const merged = mergeTrees(b?.tree ?? null, o.tree, t.tree)
  const reseal = async (tree: Tree): Promise<Uint8Array> => {
    const pgpKeyFiles = rulePgpKeyFiles(abs(name), { ...defined({ env: opts.env }) })
    let recipients
    try {
      recipients = await recipientsFor(plan.groups, { ...defined({ env: opts.env }), pgpKeyFiles })
    } catch (e) {
      throw new MergeRefusedError(`the merged recipients of ${name} need a new data key and it cannot be wrapped here (${e instanceof Error ? e.message : 'error'})`)
    }
    return resealRotated({ ...o, tree }, format, recipients, defined({ threshold: plan.threshold, now: opts.now }))
  }
  if (merged.conflicts.length) {
    const multi = Math.max(o.tree.branches.length, t.tree.branches.length) > 1
    // ours' values, but never ours' stale keys: a removal or rotation on theirs already applies
    if (!plan.keepOurs) writeFileAtomic(abs(opts.ours), await reseal(o.tree))
    return { status: 'conflict', conflicts: merged.conflicts.map((c) => `${multi ? `document ${c.branch + 1} ` : ''}${c.path.length ? formatTreePath(c.path) : '(whole document)'}`), resealed: !plan.keepOurs }
  }
  const notes: string[] = []
  const keyNote = describeKeyMerge(name, plan)
  if (keyNote) notes.push(keyNote)
  if (!plan.keepOurs) {
    writeFileAtomic(abs(opts.ours), await reseal(merged.tree))
    return { status: 'merged', changed: true, notes }
  }
  if (!merged.changed) return { status: 'merged', changed: false, notes }
  const same = (d: OpenedDocument | null): d is OpenedDocument => !!d && Buffer.from(d.dataKey).equals(Buffer.from(o.dataKey))
  const stash = new ChainedStash([o.stash, ...[t, b].filter(same).map((d) => d.stash)])
  const sealed = await sealTree(merged.tree, format, { reuse: { ...o, stash }, ...defined({ now: opts.now }) })
  writeFileAtomic(abs(opts.ours), (await encryptedCodec(format)).emit(sealed.tree))
  return { status: 'merged', changed: true, notes }
}
