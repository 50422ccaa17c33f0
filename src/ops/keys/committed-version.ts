/**
 * The last committed version of a file (`git show HEAD:./<name>`, argv only, run in the
 * file's folder), parsed as a sops file: the reference `check`, `set` and `edit` compare a
 * file's wrapped keys and selectors with. Outside git, without git, before the first
 * commit, for a file HEAD does not hold, or holds in clear: undefined (nothing to compare).
 */
import { basename, dirname } from 'node:path'
import type { FormatName } from '../../formats/index.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { runGit } from '../../io/git-exec.js'
import { defined } from '../../defined.js'

export interface CommittedVersion { tree: Tree; metadata: Metadata }

/** The bytes of `abs` at HEAD, or undefined. */
export function committedBytes(abs: string, env?: NodeJS.ProcessEnv): Buffer | undefined {
  try {
    const r = runGit(['show', `HEAD:./${basename(abs)}`], { cwd: dirname(abs), ...defined({ env }) })
    return r.status === 0 ? r.stdout : undefined
  } catch {
    return undefined // git missing or not runnable: nothing to compare with
  }
}

/** The sops file `abs` at HEAD, parsed (no key needed), or undefined. */
export async function committedVersion(abs: string, format: FormatName, env?: NodeJS.ProcessEnv): Promise<CommittedVersion | undefined> {
  const bytes = committedBytes(abs, env)
  if (!bytes) return undefined
  try {
    return await parseEncrypted(bytes, format)
  } catch {
    return undefined // not a sops file at HEAD (committed in clear, or another kind of file)
  }
}
