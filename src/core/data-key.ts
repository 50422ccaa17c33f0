/**
 * The data key's life: generate 32 random bytes, wrap them (or Shamir shares of
 * them, one per key group) for every recipient, and unwrap them with whatever
 * identities are available, trying age before PGP as sops does (or in --decryption-order).
 */
import { randomBytes } from 'node:crypto'
import { NoIdentityError, RecipientError } from '../errors.js'
import { entryId, type Identity, type KeyEntry, type Recipient } from '../keys/key-source.js'
import { DEFAULT_DECRYPTION_ORDER } from './decryption-order.js'

export const newDataKey = (): Buffer => randomBytes(32)

export interface WrappedKeys { keyGroups: KeyEntry[][]; shamirThreshold?: number }

/**
 * Wraps the data key for every recipient; several groups split it with Shamir (threshold defaults
 * to the group count). A single group is never split, but a threshold given for it is kept, as sops does.
 */
export async function wrapDataKey(dataKey: Uint8Array, groups: Recipient[][], threshold?: number): Promise<WrappedKeys> {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) throw new RecipientError('every key group needs at least one recipient')
  if (groups.length === 1) {
    // one group: no Shamir split, but sops still records a threshold it was given (`shamir_threshold`)
    const keyGroups = [await Promise.all(groups[0]!.map((r) => r.wrap(dataKey)))]
    return threshold && threshold > 0 ? { keyGroups, shamirThreshold: threshold } : { keyGroups }
  }
  const t = threshold && threshold > 0 ? threshold : groups.length
  if (t < 2 || t > groups.length) throw new RecipientError(`shamir threshold ${t} must be between 2 and the number of key groups (${groups.length})`)
  const { split } = await import('./shamir.js')
  const shares = await split(dataKey, groups.length, t)
  try {
    const keyGroups = await Promise.all(groups.map((g, i) => Promise.all(g.map((r) => r.wrap(shares[i]!)))))
    return { keyGroups, shamirThreshold: t }
  } finally {
    // the shares are as secret as the key and only their wrapped forms are kept
    for (const s of shares) s.fill(0)
  }
}

/** Sorts a group's entries by decryption order (by default age, pgp, then the rest in file order), a stable sort as sops' sortKeyGroupIndices. */
function byDecryptionOrder(group: KeyEntry[], order: readonly string[] = DEFAULT_DECRYPTION_ORDER): KeyEntry[] {
  const rank = (e: KeyEntry): number => { const i = order.indexOf(e.type); return i < 0 ? order.length : i }
  return [...group].sort((a, b) => rank(a) - rank(b))
}

/** The first entry of a group that one of the identities opens (the data key, or a Shamir share of it). */
async function openGroup(group: KeyEntry[], identities: Identity[], order?: readonly string[]): Promise<Uint8Array | null> {
  for (const entry of byDecryptionOrder(group, order)) {
    for (const id of identities) {
      if (id.type !== entry.type) continue
      const share = await id.unwrap(entry)
      if (share) return share
    }
  }
  return null
}

/**
 * Recovers the data key. Throws NoIdentityError naming the recipients tried (never why in detail).
 * Shamir shares are zeroed once the key is combined (or recovery failed); only the key is returned.
 */
export async function unwrapDataKey(keyGroups: KeyEntry[][], threshold: number | undefined, identities: Identity[], order?: readonly string[]): Promise<Uint8Array> {
  const shares: Uint8Array[] = []
  const failedGroups: string[] = []
  try {
    for (const [gi, group] of keyGroups.entries()) {
      const share = await openGroup(group, identities, order)
      if (share && keyGroups.length === 1) return share
      if (share) shares.push(share)
      else failedGroups.push(keyGroups.length > 1 ? `group ${gi}: ${group.map(describe).join(', ')}` : group.map(describe).join(', '))
    }
    const t = threshold && threshold > 0 ? threshold : keyGroups.length
    if (keyGroups.length > 1 && shares.length >= t) return await (await import('./shamir.js')).combine(shares)
    const have = identities.length
      ? `identities available: ${identities.map((i) => i.label).join(', ')}`
      : `no identity found: make one with "sops-like keygen" and have the file re-encrypted to its recipient (keys are looked for in ${IDENTITY_PLACES}; "sops-like doctor" checks each)`
    const need = keyGroups.length > 1 ? ` (${shares.length} of ${keyGroups.length} groups opened, ${t} needed)` : ''
    throw new NoIdentityError(`no available key could decrypt the data key${need}; file recipients: ${failedGroups.join('; ')}; ${have}`)
  } finally {
    for (const s of shares) s.fill(0)
  }
}

/** Where loadIdentities looks, for the message of a decryption that found no identity at all. */
const IDENTITY_PLACES = 'SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, $XDG_CONFIG_HOME/sops/age/keys.txt or ~/.config/sops/age/keys.txt, ~/.ssh/id_ed25519 and id_rsa, SOPS_LIKE_PGP_KEY_FILE, gpg'

const describe = (e: KeyEntry): string => `${e.type} ${entryId(e)}`.trim()
