/**
 * The age side of decryption: one Identity over every age identity found, opening the
 * armored age file sops stores per recipient (`{enc, recipient}`) to get the data key.
 *
 * X25519 identities (`AGE-SECRET-KEY-1…`) and identity objects (our SSH classes) are used
 * through src/keys/age-file.ts and node:crypto, without loading age-encryption (start-up
 * time of `run` and textconv); post-quantum identities (`AGE-SECRET-KEY-PQ-1…`) load
 * age-encryption only then, and use its ML-KEM stanza identity with the same reader (its
 * `decrypt` of bytes would also start Node's fetch stack, see age-file.ts); anything else
 * falls back to age-encryption's Decrypter.
 */
import type { Identity as AgeIdentity } from 'age-encryption'
import { ReadError, SopsLikeError } from '../errors.js'
import type { Identity, KeyEntry } from './key-source.js'
import { ageHeaderMacOk, dearmorAge, openAgePayload, parseAgeFile, type AgeFile, type AgeStanza } from './age-file.js'
import { bech32Decode, unwrapX25519Stanzas, x25519PrivateKey, x25519PublicBytes } from './ssh-x25519.js'
import type { KeyObject } from 'node:crypto'
import { defined } from '../defined.js'

/** An age X25519 identity on node:crypto, with age-encryption's `unwrapFileKey` shape. */
export class X25519Identity {
  readonly #key: KeyObject
  readonly #public: Uint8Array

  /** Throws ReadError (naming no key material) when `identity` is not a valid `AGE-SECRET-KEY-1…`. */
  constructor(identity: string) {
    const scalar = bech32Decode('age-secret-key-', identity)
    if (!scalar || scalar.length !== 32) throw new ReadError('an age identity is malformed (bad checksum or length)')
    this.#key = x25519PrivateKey(scalar)
    scalar.fill(0)
    this.#public = x25519PublicBytes(this.#key)
  }

  unwrapFileKey(stanzas: AgeStanza[]): Uint8Array | null {
    return unwrapX25519Stanzas(stanzas, this.#key, this.#public)
  }
}

type StanzaIdentity = { unwrapFileKey(stanzas: AgeStanza[]): Uint8Array | null | Promise<Uint8Array | null> }

const isNative = (i: string | AgeIdentity): boolean => typeof i !== 'string' || /^AGE-SECRET-KEY-1[^-]/i.test(i)
/** age plugins are separate programs we do not run: their identities are left out (loadIdentities notes it). */
export const isPluginIdentity = (i: string | AgeIdentity): boolean => typeof i === 'string' && i.toUpperCase().startsWith('AGE-PLUGIN-')

/** Errors of ours (a wrong passphrase, Ctrl-C at a prompt) travel up; anything else means "cannot open". */
const isTyped = (e: unknown): boolean => e instanceof SopsLikeError

/** Opens a parsed age file; null when no identity matches or anything fails to authenticate. */
async function openWith(identities: StanzaIdentity[], parsed: AgeFile): Promise<Uint8Array | null> {
  for (const id of identities) {
    let fileKey: Uint8Array | null
    try {
      fileKey = await id.unwrapFileKey(parsed.stanzas)
    } catch (e) {
      if (isTyped(e)) throw e
      return null // a malformed stanza or a low-order share: age aborts, the file is not ours to open
    }
    if (!fileKey) continue
    try {
      return ageHeaderMacOk(parsed, fileKey) ? openAgePayload(fileKey, parsed.payload) : null
    } catch {
      return null
    } finally {
      fileKey.fill(0)
    }
  }
  return null
}

/** One Identity over every age identity found; tries them all on each entry. */
export function createAgeIdentity(identities: Array<string | AgeIdentity>, label: string): Identity {
  const native: StanzaIdentity[] = identities.filter(isNative).map((i) => (typeof i === 'string' ? new X25519Identity(i) : (i as unknown as StanzaIdentity)))
  const others = identities.filter((i) => !isNative(i) && !isPluginIdentity(i))
  let fallback: Promise<{ stanzaIds?: StanzaIdentity[]; decrypt: (file: Uint8Array) => Promise<Uint8Array> }> | undefined
  const viaAgeEncryption = () =>
    (fallback ??= import('age-encryption').then(({ Decrypter }) => {
      const d = new Decrypter()
      for (const i of others) d.addIdentity(i)
      // its stanza identities (the ML-KEM hybrid one for PQ keys), when this version exposes them as it does today
      const held = (d as unknown as { identities?: unknown }).identities
      const stanzaIds = Array.isArray(held) && held.length === others.length && held.every((x) => typeof (x as StanzaIdentity)?.unwrapFileKey === 'function') ? (held as StanzaIdentity[]) : undefined
      return { ...defined({ stanzaIds }), decrypt: (file: Uint8Array) => d.decrypt(file) }
    }))
  return {
    type: 'age',
    label,
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      const enc = entry.fields.enc ?? ''
      const file = enc.trimStart().startsWith('-----BEGIN') ? dearmorAge(enc) : new Uint8Array(Buffer.from(enc, 'binary'))
      if (!file) return null // a malformed blob is not ours to open; other entries may still work
      // read first whatever identities there are: too many stanzas is refused before any is tried
      const parsed = parseAgeFile(file)
      const opened = native.length && parsed ? await openWith(native, parsed) : null
      if (opened || !others.length) return opened
      try {
        const viaPkg = await viaAgeEncryption()
        if (viaPkg.stanzaIds) return parsed ? await openWith(viaPkg.stanzaIds, parsed) : null
        return await viaPkg.decrypt(file)
      } catch (e) {
        if (isTyped(e)) throw e
        return null
      }
    },
  }
}
