/**
 * A data key someone else knows (a "key swap"): an attacker without any key encrypts a
 * look-alike file to the team's recipients plus their own, then deletes their own entry.
 * The recipient list looks unchanged, but every wrapped key (`enc`) differs from the last
 * committed version. Recipients are not authenticated by the format, so this is detected
 * by comparing with git: `check` flags it (unless the whole file was re-encrypted, as a
 * genuine rotation does), and `set`/`edit` rotate the data key before writing new values.
 * Reads only; no key needed.
 */
import type { FormatName } from '../../formats/index.js'
import { isEncrypted } from '../../core/cipher.js'
import type { Metadata } from '../../core/metadata.js'
import type { Mapping, Node, Sequence } from '../../core/tree.js'
import { committedVersion, type CommittedVersion } from './committed-version.js'
import { diffRecipients, refOfEntry, sameRecipient } from './recipient-diff.js'

/**
 * Some recipient present in both versions (same key group) has a different wrapped key.
 * A recipient only one side has does not count: adding one (updatekeys) keeps the others' `enc`.
 */
export function wrappedKeysChanged(before: Metadata, after: Metadata): boolean {
  return after.keyGroups.some((group, gi) => group.some((e) => {
    const prior = (before.keyGroups[gi] ?? []).filter((p) => sameRecipient(refOfEntry(p), refOfEntry(e)))
    return prior.length > 0 && !prior.some((p) => p.fields.enc === e.fields.enc)
  }))
}

/** Same recipients in the same groups, same threshold. */
export const sameRecipientList = (a: Metadata, b: Metadata): boolean =>
  !diffRecipients(a.keyGroups.map((g) => g.map(refOfEntry)), b.keyGroups.map((g) => g.map(refOfEntry)), a.shamirThreshold, b.shamirThreshold).changed

function encryptedTexts(n: Node | Mapping | Sequence, out: Set<string>): void {
  if (n.kind === 'scalar') {
    if (n.type === 'str' && isEncrypted(n.text)) out.add(n.text)
  } else if (n.kind === 'map') {
    for (const e of n.entries) {
      if (e.kind === 'comment') { if (isEncrypted(e.text)) out.add(e.text) } else encryptedTexts(e.value, out)
    }
  } else if (n.kind === 'seq') {
    for (const it of n.items) {
      if (it.kind === 'comment') { if (isEncrypted(it.text)) out.add(it.text) } else encryptedTexts(it, out)
    }
  }
}

/**
 * Every encrypted value and the MAC differ between the versions: the whole file was
 * re-encrypted, as a rotation does. A file with no encrypted value at all does not count:
 * a swapped key is then indistinguishable from a rotation and there is nothing to re-encrypt,
 * which is exactly the file an attacker can forge (its MAC covers only values they know).
 */
export function fullyReencrypted(before: CommittedVersion, after: CommittedVersion): boolean {
  if (before.metadata.mac === after.metadata.mac) return false
  const old = new Set<string>()
  for (const b of before.tree.branches) encryptedTexts(b, old)
  const now = new Set<string>()
  for (const b of after.tree.branches) encryptedTexts(b, now)
  if (!now.size) return false
  for (const t of now) if (old.has(t)) return false
  return true
}

/**
 * `check`: a one-line problem (naming the file only) when `current` (the working file, or
 * the staged blob) has other wrapped keys than HEAD for the same recipients while its values
 * and MAC were not all re-encrypted; undefined otherwise, and outside git.
 */
export async function keySwapSinceCommit(name: string, abs: string, current: CommittedVersion, format: FormatName, env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  const head = await committedVersion(abs, format, env)
  if (!head) return undefined
  if (!sameRecipientList(head.metadata, current.metadata) || !wrappedKeysChanged(head.metadata, current.metadata)) return undefined
  if (fullyReencrypted(head, current)) return undefined
  return `its wrapped data keys changed since the last commit while its recipients did not, and its values were not re-encrypted: someone may hold its data key; if you did not make this change restore it (git checkout HEAD -- ${name}), else rotate it (sops-like rotate ${name})`
}
