/**
 * PGP master keys through OpenPGP.js, with the gpg binary as fallback.
 *
 * The data key (or Shamir share) is encrypted as a binary OpenPGP message and
 * stored armored, trimmed (`{created_at, enc, fp}`), as sops writes it.
 * `openpgp` is a big module: it is only loaded (`await import`) the first time
 * a PGP key is actually used, so age-only runs never pay for it.
 *
 * Packets are kept readable by GnuPG 2.2: v4 keys only, SEIPDv1 (never AEAD /
 * SEIPDv2), the recipient's preferred cipher. RSA keys down to 1024 bits are
 * accepted, as gpg and sops accept them (the sops test key 2 is rsa1024).
 */
import { readFileSync } from 'node:fs'
import type { Config, Key, PrivateKey, Subkey } from 'openpgp'
import { NoIdentityError, ReadError, RecipientError } from '../errors.js'
import { promptSecret } from '../io/prompt-secret.js'
import type { Identity, KeyEntry, Recipient } from './key-source.js'
import { nowRfc3339 } from './created-at.js'
import { createGpgIdentity, gpgAvailable, gpgEncrypt, gpgExport } from './gpg.js'
import { defined } from '../defined.js'

type OpenPGP = typeof import('openpgp')

let openpgpModule: Promise<OpenPGP> | undefined
/** The lazily loaded `openpgp` module (loaded once, on first use). */
const loadOpenpgp = (): Promise<OpenPGP> => (openpgpModule ??= import('openpgp'))

/** OpenPGP.js settings for sops-compatible, GnuPG 2.2-readable packets. */
const settings = (l: OpenPGP): Config => ({ ...l.config, aeadProtect: false, v6Keys: false, minRSABits: 1024 })

const FP_RE = /^(?:[0-9A-F]{16}|[0-9A-F]{40})!?$/

/** Normalizes a user-given fingerprint: spaces removed, upper case (a trailing `!` forces that subkey). */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/\s+/g, '').toUpperCase()
}

/** RFC 3339 UTC time without fractions, as in `created_at`. */

const ARMOR_BLOCK_RE = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g

/**
 * Reads every key of an OpenPGP key file: any number of armored blocks (public
 * or private), or one binary keyring. Throws ReadError (unreadable file) or
 * RecipientError (not OpenPGP key data).
 */
async function readKeyFile(path: string): Promise<Key[]> {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch {
    throw new ReadError(`cannot read PGP key file ${path}`)
  }
  const l = await loadOpenpgp()
  const config = settings(l)
  const text = bytes.toString('utf8')
  const blocks = text.match(ARMOR_BLOCK_RE)
  const keys: Key[] = []
  try {
    if (blocks) for (const armoredKeys of blocks) keys.push(...(await l.readKeys({ armoredKeys, config })))
    else if (!text.includes('-----BEGIN')) keys.push(...(await l.readKeys({ binaryKeys: new Uint8Array(bytes), config })))
  } catch {
    throw new RecipientError(`PGP key file ${path} is damaged or not an OpenPGP key`)
  }
  if (!keys.length) throw new RecipientError(`PGP key file ${path} holds no OpenPGP key`)
  return keys
}

/** The key (and the component key) whose fingerprint or 16-hex key ID equals `fp` (without `!`). */
function findKey(keys: Key[], fp: string): { key: Key; component: Key | Subkey } | undefined {
  const want = fp.replace(/!$/, '')
  for (const key of keys) {
    for (const component of key.getKeys()) {
      const match = want.length === 16 ? component.getKeyID().toHex().toUpperCase() === want : component.getFingerprint().toUpperCase() === want
      if (match) return { key, component }
    }
  }
  return undefined
}

/** Checks that `key` (or, for `FP!`, that exact subkey) can receive messages now. Throws RecipientError. */
async function checkUsable(l: OpenPGP, key: Key, component: Key | Subkey, fp: string): Promise<void> {
  const config = settings(l)
  const now = new Date()
  if (key.keyPacket.version !== 4) throw new RecipientError(`PGP key ${fp} is a version ${key.keyPacket.version} key; only v4 keys are supported (GnuPG 2.2 compatibility)`)
  if (await key.isRevoked(undefined, undefined, now, config)) throw new RecipientError(`PGP key ${fp} is revoked`)
  let expires: Date | number | null
  try {
    expires = await key.getExpirationTime(undefined, config)
  } catch {
    throw new RecipientError(`PGP key ${fp} has no valid self-signature`)
  }
  if (expires instanceof Date && expires.getTime() <= now.getTime()) {
    throw new RecipientError(`PGP key ${fp} expired on ${expires.toISOString().slice(0, 10)}`)
  }
  try {
    const forced = fp.endsWith('!') ? component.getKeyID() : undefined
    await key.getEncryptionKey(forced, now, undefined, config)
  } catch {
    throw new RecipientError(fp.endsWith('!') ? `PGP subkey ${fp} cannot encrypt (not an encryption subkey, expired or revoked)` : `PGP key ${fp} has no valid encryption subkey`)
  }
}

/** Encrypts `data` to `key` as a binary message, SEIPDv1, armored and trimmed. */
async function encryptTo(l: OpenPGP, key: Key, component: Key | Subkey, fp: string, data: Uint8Array): Promise<string> {
  const config = settings(l)
  const publicKey = key.toPublic()
  // keys that advertise SEIPDv2 would get AEAD packets GnuPG 2.2 cannot read: keep the cipher, drop AEAD
  const { data: sessionData, algorithm } = await l.generateSessionKey({ encryptionKeys: publicKey, config })
  const message = await l.createMessage({ binary: data, format: 'binary' })
  const armored = await l.encrypt({
    message,
    encryptionKeys: publicKey,
    ...defined({ encryptionKeyIDs: fp.endsWith('!') ? [component.getKeyID()] : undefined }), // `FP!`: this subkey only
    sessionKey: { data: sessionData, algorithm },
    format: 'armored',
    config,
  })
  return armored.trim()
}

/**
 * A PGP Recipient for fingerprint `fp` (spaces removed, upper-cased; 40 hex, or a
 * 16-hex key ID; a trailing `!` forces that exact subkey). The public key is taken
 * from the first of `keyFiles` that holds it (primary or subkey fingerprint),
 * else from the gpg keyring (`gpg --export`), else RecipientError naming `fp`.
 * Revoked, expired and encryption-less keys are refused with a RecipientError.
 */
export function createPgpRecipient(fp: string, opts: { keyFiles?: string[]; env?: NodeJS.ProcessEnv } = {}): Recipient {
  const id = normalizeFingerprint(fp)
  if (!FP_RE.test(id)) throw new RecipientError(`invalid PGP fingerprint ${JSON.stringify(id.slice(0, 48))}: expected a 40-hex-digit fingerprint (or a 16-hex key ID)`)
  const env = opts.env ?? process.env
  let encryptor: Promise<(data: Uint8Array) => Promise<string>> | undefined

  const resolve = async (): Promise<(data: Uint8Array) => Promise<string>> => {
    const l = await loadOpenpgp()
    for (const file of opts.keyFiles ?? []) {
      const found = findKey(await readKeyFile(file), id)
      if (found) {
        await checkUsable(l, found.key, found.component, id)
        return (data) => encryptTo(l, found.key, found.component, id, data)
      }
    }
    const haveGpg = gpgAvailable(env)
    if (haveGpg) {
      const armoredKeys = await gpgExport(id, env)
      if (armoredKeys) {
        let keys: Key[] | undefined
        try {
          keys = await l.readKeys({ armoredKeys, config: settings(l) })
        } catch {
          keys = undefined // a key OpenPGP.js cannot read (e.g. v5): let gpg encrypt it
        }
        const found = keys && findKey(keys, id)
        if (!found) return (data) => gpgEncrypt(id, data, env)
        await checkUsable(l, found.key, found.component, id)
        return (data) => encryptTo(l, found.key, found.component, id, data)
      }
    }
    const where = [opts.keyFiles?.length ? 'not in the given key files' : 'no key file given', haveGpg ? 'not in the gpg keyring' : 'gpg not found on PATH']
    throw new RecipientError(`PGP key ${id} not found (${where.join(', ')})`)
  }

  return {
    type: 'pgp',
    id,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      const encrypt = await (encryptor ??= resolve())
      return { type: 'pgp', fields: { created_at: nowRfc3339(), enc: await encrypt(dataKey), fp: id } }
    },
  }
}

/** Armor as stored in metadata, tidied for the parser (indentation, CRLF, trailing blanks). */
const tidyArmor = (enc: string): string => enc.split(/\r?\n/).map((l) => l.trim()).join('\n').trim() + '\n'

/** An Identity over the private keys of one armored (or binary) key file, unlocked on demand. */
function createKeyFileIdentity(path: string, env: NodeJS.ProcessEnv): Identity {
  let loaded: Promise<PrivateKey[]> | undefined
  let fingerprints: string[] = []
  const unlocked = new Map<PrivateKey, Promise<PrivateKey>>()

  const load = async (): Promise<PrivateKey[]> => {
    const keys = (await readKeyFile(path)).filter((k): k is PrivateKey => k.isPrivate())
    if (!keys.length) throw new RecipientError(`PGP key file ${path} holds no private key`)
    fingerprints = keys.map((k) => k.getFingerprint().toUpperCase())
    return keys
  }

  const unlock = async (l: OpenPGP, key: PrivateKey): Promise<PrivateKey> => {
    if (key.isDecrypted()) return key
    const fp = key.getFingerprint().toUpperCase()
    const passphrase = env.SOPS_LIKE_PGP_PASSPHRASE ?? (await promptSecret(`Passphrase for PGP key ${fp} (${path}): `))
    if (passphrase === undefined) throw new ReadError(`PGP key ${fp} in ${path} is passphrase-protected and there is no terminal to ask (set SOPS_LIKE_PGP_PASSPHRASE)`)
    try {
      return await l.decryptKey({ privateKey: key, passphrase, config: settings(l) })
    } catch {
      throw new ReadError(`incorrect passphrase for PGP key ${fp} in ${path}`)
    }
  }

  return {
    type: 'pgp',
    get label(): string {
      return `pgp key file ${path}${fingerprints.length ? ` (${fingerprints.join(', ')})` : ''}`
    },
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      const enc = entry.fields.enc
      if (!enc || !enc.includes('-----BEGIN PGP MESSAGE-----')) return null
      const l = await loadOpenpgp()
      const config = settings(l)
      const keys = await (loaded ??= load())
      let message: Awaited<ReturnType<OpenPGP['readMessage']>>
      try {
        message = await l.readMessage({ armoredMessage: tidyArmor(enc), config })
      } catch {
        return null // unreadable armor: not ours to judge, other entries may still work
      }
      const ids = message.getEncryptionKeyIDs()
      const hidden = ids.some((k) => k.toHex() === '0000000000000000')
      // keys whose matching component has secret material (gpg `sec#` stubs do not count)
      const holds = (k: PrivateKey): boolean => ids.some((kid) => k.getKeys(kid).some((c) => !(c.keyPacket as { isDummy?: () => boolean }).isDummy?.()))
      const candidates = keys.filter((k) => hidden || holds(k))
      if (!candidates.length) return null
      const decryptionKeys: PrivateKey[] = []
      for (const key of candidates) {
        let p = unlocked.get(key)
        if (!p) unlocked.set(key, (p = unlock(l, key)))
        try {
          decryptionKeys.push(await p)
        } catch (e) {
          unlocked.delete(key) // a wrong passphrase may be corrected on the next prompt
          throw e
        }
      }
      try {
        const { data } = await l.decrypt({ message, decryptionKeys, format: 'binary', config })
        return new Uint8Array(data)
      } catch {
        if (hidden) return null
        const fps = candidates.map((k) => k.getFingerprint().toUpperCase()).join(', ')
        throw new NoIdentityError(`PGP key ${fps} could not decrypt its data-key entry (damaged message or unsupported packets)`)
      }
    },
  }
}

/**
 * The PGP identities to try, in order: the private key file named by
 * `opts.keyFile` or `SOPS_LIKE_PGP_KEY_FILE` (OpenPGP.js; passphrase from
 * `SOPS_LIKE_PGP_PASSPHRASE`, else asked on the terminal), then the gpg binary
 * when it is on PATH. Nothing is read or loaded until an entry is unwrapped.
 */
export function createPgpIdentities(env: NodeJS.ProcessEnv, opts: { keyFile?: string } = {}): Identity[] {
  const out: Identity[] = []
  const keyFile = opts.keyFile || env.SOPS_LIKE_PGP_KEY_FILE
  if (keyFile) out.push(createKeyFileIdentity(keyFile, env))
  if (gpgAvailable(env)) out.push(createGpgIdentity(env))
  return out
}
