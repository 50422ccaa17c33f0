/**
 * What `set`, `unset` and `edit` check before writing an existing file back, in one call:
 * - selector downgrade (selector-guard): no value the file as read or the last commit kept
 *   encrypted is written in clear, unless `allowUnencrypted`;
 * - key swap (key-swap): when the file's wrapped data keys differ from the last committed
 *   version, the data key is rotated (new key, every value re-encrypted, wrapped to the
 *   same recipients), unless `noRotate`. Outside git or for an uncommitted file: nothing.
 * HEAD is read once per file (`git show`, argv only).
 */
import type { Format } from '../../formats/index.js'
import { sealTree, type OpenedDocument } from '../../core/document.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { RecipientError } from '../../errors.js'
import { encryptedCodec } from '../crypt/codec.js'
import { committedVersion } from './committed-version.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { wrappedKeysChanged } from './key-swap.js'
import { refOfEntry } from './recipient-diff.js'
import { assertNoDowngrade, type PreviousVersion } from './selector-guard.js'
import { defined } from '../../defined.js'

export interface RewriteGuardOptions {
  /** Keep the data key even when the file's wrapped keys changed since the last commit (`--no-rotate`). */
  noRotate?: boolean
  /** Write in clear values that the previous version kept encrypted (`--allow-unencrypted`). */
  allowUnencrypted?: boolean
  /** Keep the file's `version` (set/unset, as sops does; edit writes ours). */
  keepVersion?: boolean
}

interface GuardContext extends RewriteGuardOptions {
  /** `asRead` as parseEncrypted gave it, when the caller has it (else parsed again if needed). */
  parsed?: { tree: Tree; metadata: Metadata }
  env?: NodeJS.ProcessEnv
  configPath?: string
  onNote?: (line: string) => void
}

export interface RewriteGuard {
  /** Encrypts the new plaintext tree into the file's bytes (refusing a downgrade, rotating when due). */
  seal(plain: Tree, now?: Date): Promise<Uint8Array>
}

/**
 * Prepares the write of `doc` (opened from `asRead`, the file's bytes as read) back to `abs`.
 * Without `asRead` (a new file) there is nothing to compare with: the tree is sealed as is.
 */
export async function guardRewrite(abs: string, asRead: Uint8Array | undefined, format: Format, doc: OpenedDocument, opts: GuardContext = {}): Promise<RewriteGuard> {
  const head = asRead ? await committedVersion(abs, format.name, opts.env) : undefined
  const rotate = !!head && !opts.noRotate && wrappedKeysChanged(head.metadata, doc.metadata)
  const previous: PreviousVersion[] = []
  if (asRead) previous.push({ label: 'the file as read', load: async () => opts.parsed ?? parseEncrypted(asRead, format.name) })
  if (head) previous.push({ label: 'the last commit', load: async () => head })
  return {
    async seal(plain, now) {
      if (!opts.allowUnencrypted) await assertNoDowngrade(plain, doc.metadata.selectors, format.name, previous)
      if (rotate) return rotateKey(abs, plain, format, doc, opts, now)
      const sealed = await sealTree(plain, format, { reuse: doc, ...defined({ keepVersion: opts.keepVersion, now }) })
      return (await encryptedCodec(format)).emit(sealed.tree)
    },
  }
}

/** A new data key for the same recipients: whoever swapped in a key they know does not get the new values. */
async function rotateKey(abs: string, plain: Tree, format: Format, doc: OpenedDocument, opts: GuardContext, now?: Date): Promise<Uint8Array> {
  const { recipientsFor, resealRotated, rulePgpKeyFiles } = await import('./rotate.js')
  let groups
  try {
    groups = await recipientsFor(doc.metadata.keyGroups.map((g) => g.map(refOfEntry)), {
      ...defined({ env: opts.env }),
      entries: doc.metadata.keyGroups.flat(),
      pgpKeyFiles: rulePgpKeyFiles(abs, defined({ configPath: opts.configPath, env: opts.env })),
    })
  } catch (e) {
    const why = e instanceof Error ? e.message : 'unknown error'
    throw new RecipientError(`the file's wrapped data keys changed since the last commit, so its data key must be rotated, but that failed (${why}); pass --no-rotate to keep the current key`)
  }
  const out = await resealRotated({ ...doc, tree: plain }, format, groups, defined({ threshold: doc.metadata.shamirThreshold, now, keepVersion: opts.keepVersion }))
  opts.onNote?.('rotated the data key: its wrapped keys changed since the last commit (someone else may know the old one; --no-rotate keeps it)')
  return out
}
