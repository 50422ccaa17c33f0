/**
 * The age side of decryption: one Identity over every age identity found, opening the
 * armored age file sops stores per recipient (`{enc, recipient}`) to get the data key.
 *
 * X25519 identities (`AGE-SECRET-KEY-1…`) and identity objects (our SSH classes) are used
 * through src/keys/age-file.ts and node:crypto, without loading age-encryption (start-up
 * time of `run` and textconv); post-quantum and plugin identities fall back to
 * age-encryption's Decrypter, imported only then.
 */
import type { Identity as AgeIdentity } from 'age-encryption'
import { ReadError } from '../errors.js'
import type { Identity, KeyEntry } from './key-source.js'
import { ageHeaderMacOk, base64NoPadDecode, dearmorAge, openAgePayload, parseAgeFile, type AgeStanza } from './age-file.js'
import { aeadOpen, bech32Decode, hkdf32, x25519, x25519PrivateKey, x25519PublicBytes } from './ssh-x25519.js'
import type { KeyObject } from 'node:crypto'

const X25519_LABEL = 'age-encryption.org/v1/X25519'

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
    for (const s of stanzas) {
      if (s.args[0] !== 'X25519') continue
      const share = s.args.length === 2 ? base64NoPadDecode(s.args[1]!) : null
      if (!share || share.length !== 32 || s.body.length !== 32) throw new Error('malformed X25519 stanza')
      let shared: Uint8Array
      try {
        shared = x25519(this.#key, share)
      } catch {
        continue // a low-order share cannot be for us
      }
      const wrapKey = hkdf32(shared, Buffer.concat([share, this.#public]), X25519_LABEL)
      shared.fill(0)
      const fileKey = aeadOpen(wrapKey, s.body)
      wrapKey.fill(0)
      if (fileKey) return fileKey
    }
    return null
  }
}

type StanzaIdentity = { unwrapFileKey(stanzas: AgeStanza[]): Uint8Array | null | Promise<Uint8Array | null> }

const isNative = (i: string | AgeIdentity): boolean => typeof i !== 'string' || /^AGE-SECRET-KEY-1[^-]/i.test(i)

/** Opens an age file with our header reader; null when no identity matches or anything fails to authenticate. */
async function openWith(identities: StanzaIdentity[], file: Uint8Array): Promise<Uint8Array | null> {
  const parsed = parseAgeFile(file)
  if (!parsed) return null
  for (const id of identities) {
    let fileKey: Uint8Array | null
    try {
      fileKey = await id.unwrapFileKey(parsed.stanzas)
    } catch {
      return null // a malformed stanza: the file is not ours to open
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
  const others = identities.filter((i) => !isNative(i))
  let fallback: Promise<(file: Uint8Array) => Promise<Uint8Array>> | undefined
  const viaAgeEncryption = (): Promise<(file: Uint8Array) => Promise<Uint8Array>> =>
    (fallback ??= import('age-encryption').then(({ Decrypter }) => {
      const d = new Decrypter()
      for (const i of others) d.addIdentity(i)
      return (file: Uint8Array) => d.decrypt(file)
    }))
  return {
    type: 'age',
    label,
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      const enc = entry.fields.enc ?? ''
      const file = enc.trimStart().startsWith('-----BEGIN') ? dearmorAge(enc) : new Uint8Array(Buffer.from(enc, 'binary'))
      if (!file) return null // a malformed blob is not ours to open; other entries may still work
      const opened = native.length ? await openWith(native, file) : null
      if (opened || !others.length) return opened
      try {
        return await (await viaAgeEncryption())(file)
      } catch {
        return null
      }
    },
  }
}
