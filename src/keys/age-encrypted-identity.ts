/**
 * Passphrase-encrypted age identity files (`age -p` over a keys.txt): a file
 * that starts with `age-encryption.org/v1` or is armored
 * (`-----BEGIN AGE ENCRYPTED FILE-----`) and holds one scrypt stanza. sops
 * asks for the passphrase and reads the decrypted text as an identity file.
 *
 * The scrypt stanza is opened with node:crypto's native scrypt (about ten times
 * faster than the pure-JS one inside age-encryption at age's default work
 * factor 2^18); everything else is age-encryption's Decrypter.
 */
import { scrypt } from 'node:crypto'
import { Decrypter, armor } from 'age-encryption'
import type { Identity, Stanza } from 'age-encryption'
import { LimitExceededError, ReadError } from '../errors.js'
import { decodeBase64NoPad } from './ssh-wire.js'
import { aeadOpen } from './ssh-x25519.js'

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const BINARY_INTRO = 'age-encryption.org/v1'

/** True when the bytes look like an age-encrypted file (binary or armored), as sops detects it. */
export function isEncryptedIdentityFile(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).replace(/^\s+/, '')
  return head.startsWith(BINARY_INTRO) || head.startsWith('-----BEGIN AGE')
}

/**
 * Decrypts a passphrase-protected age identity file and returns its text.
 * `getPassphrase` is called once; undefined (no terminal) fails. Throws
 * `ReadError` with a one-line message for a wrong passphrase, a file not
 * encrypted with a passphrase, or malformed input; `LimitExceededError` for a
 * scrypt work factor above age's limit.
 */
export async function decryptIdentityFile(
  bytes: Uint8Array,
  getPassphrase: () => Promise<string | undefined>,
): Promise<string> {
  let raw: Uint8Array
  const text = new TextDecoder().decode(bytes.subarray(0, 64)).replace(/^\s+/, '')
  if (text.startsWith(ARMOR_BEGIN)) {
    try {
      raw = armor.decode(new TextDecoder().decode(bytes))
    } catch {
      throw new ReadError('encrypted age identity file: malformed armor')
    }
  } else if (text.startsWith(BINARY_INTRO)) {
    raw = bytes
  } else {
    throw new ReadError('encrypted age identity file: not an age-encrypted file')
  }
  if (!hasScryptStanza(raw)) throw new ReadError('encrypted age identity file is not passphrase-protected')
  // a work factor above age's limit is refused before anyone is asked for a passphrase
  const logN = /^age-encryption\.org\/v1\n-> scrypt \S+ (\S+)\n/.exec(new TextDecoder().decode(raw.subarray(0, 256)))?.[1]
  if (logN !== undefined && /^[0-9]+$/.test(logN)) scryptLogN(logN)
  const passphrase = await getPassphrase()
  if (passphrase === undefined) throw new ReadError('encrypted age identity file needs a passphrase and there is no terminal to ask for it')
  const d = new Decrypter()
  d.addIdentity(new NativeScryptIdentity(passphrase))
  let plain: Uint8Array
  try {
    plain = await d.decrypt(raw)
  } catch (e) {
    if (e instanceof LimitExceededError) throw e
    const msg = (e as Error).message
    if (/no identity matched/.test(msg)) throw new ReadError('incorrect passphrase for encrypted age identity file')
    throw new ReadError('encrypted age identity file is malformed or damaged')
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain)
  } catch {
    throw new ReadError('decrypted age identity file is not UTF-8 text')
  }
}

/** Whether the header's first stanza is `-> scrypt …` (passphrase encryption). */
function hasScryptStanza(raw: Uint8Array): boolean {
  const head = new TextDecoder().decode(raw.subarray(0, 256))
  return head.startsWith(BINARY_INTRO + '\n-> scrypt ')
}

const SCRYPT_LABEL = 'age-encryption.org/v1/scrypt'
/**
 * Highest scrypt work factor (log2 N) accepted: age's own limit (22; `age -p` writes 18). At
 * 2^22 scrypt needs 4 GiB and seconds of CPU; beyond, a hostile file could ask for anything.
 */
export const MAX_SCRYPT_LOG_N = 22

/** The work factor of a scrypt stanza's arguments; LimitExceededError above MAX_SCRYPT_LOG_N. */
export function scryptLogN(arg: string): number {
  if (!/^[1-9][0-9]?$/.test(arg)) throw new Error('invalid scrypt stanza')
  const logN = Number(arg)
  if (logN > MAX_SCRYPT_LOG_N) {
    throw new LimitExceededError(`encrypted age identity file: scrypt work factor 2^${logN} is above age's limit of 2^${MAX_SCRYPT_LOG_N}`)
  }
  return logN
}

/** age's scrypt identity (passphrase), on node:crypto's scrypt. */
export class NativeScryptIdentity implements Identity {
  constructor(private readonly passphrase: string) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'scrypt') continue
      if (stanzas.length !== 1) throw new Error('scrypt recipient is not the only one in the header')
      const salt = s.args.length === 3 ? decodeBase64NoPad(s.args[1]!) : null
      if (!salt || salt.length !== 16 || s.body.length !== 32) throw new Error('invalid scrypt stanza')
      const logN = scryptLogN(s.args[2]!)
      const N = 2 ** logN
      const labelled = Buffer.concat([Buffer.from(SCRYPT_LABEL), salt])
      const key = await new Promise<Buffer>((resolve, reject) =>
        scrypt(this.passphrase, labelled, 32, { N, r: 8, p: 1, maxmem: 2 * 128 * 8 * N + (1 << 20) }, (err, k) =>
          err ? reject(err) : resolve(k)),
      )
      const fileKey = aeadOpen(key, s.body)
      if (fileKey) return fileKey
    }
    return null
  }
}
