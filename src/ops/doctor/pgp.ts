/**
 * `doctor`'s public view of PGP identities: the fingerprints (and first user ID) of
 * the private keys in `SOPS_LIKE_PGP_KEY_FILE`, and of the secret keys gpg holds.
 * Keys are only listed, never unlocked; no key material leaves this module.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { ReadError, RecipientError } from '../../errors.js'
import { gpgProgram } from '../../keys/gpg.js'
import { defined } from '../../defined.js'

export interface PgpKeyFacts {
  /** Primary key fingerprint first, then the subkeys'. */
  fingerprints: string[]
  userId?: string
  /** The key file holds the private key (gpg: always true). */
  private: boolean
  /** Passphrase-protected. */
  locked: boolean
}

const ARMOR_BLOCK_RE = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g

/** The keys of an armored or binary OpenPGP key file. Throws ReadError / RecipientError (one line, the path only). */
export async function pgpKeyFileFacts(path: string): Promise<PgpKeyFacts[]> {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (e) {
    throw new ReadError(`cannot read PGP key file ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const openpgp = await import('openpgp')
  const config = { ...openpgp.config, minRSABits: 1024 }
  const text = bytes.toString('utf8')
  const keys = []
  try {
    const blocks = text.match(ARMOR_BLOCK_RE)
    if (blocks) for (const armoredKeys of blocks) keys.push(...(await openpgp.readKeys({ armoredKeys, config })))
    else if (!text.includes('-----BEGIN')) keys.push(...(await openpgp.readKeys({ binaryKeys: new Uint8Array(bytes), config })))
  } catch {
    throw new RecipientError(`PGP key file ${path} is damaged or not an OpenPGP key`)
  }
  if (!keys.length) throw new RecipientError(`PGP key file ${path} holds no OpenPGP key`)
  return keys.map((k) => {
    const userId = k.getUserIDs()[0]
    const isPrivate = k.isPrivate()
    return {
      fingerprints: k.getKeys().map((c) => c.getFingerprint().toUpperCase()),
      ...defined({ userId: userId || undefined }),
      private: isPrivate,
      locked: isPrivate && !k.isDecrypted(),
    }
  })
}

/** `\x3a`-style escapes of gpg's colon listing. */
const unescape = (s: string): string => s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))

/** Parses `gpg --with-colons --list-secret-keys`: one entry per `sec` key with its subkeys' fingerprints. */
export function parseGpgSecretKeys(listing: string): PgpKeyFacts[] {
  const out: PgpKeyFacts[] = []
  let cur: PgpKeyFacts | undefined
  let expectFpr = false
  for (const line of listing.split(/\r?\n/)) {
    const f = line.split(':')
    if (f[0] === 'sec') {
      cur = { fingerprints: [], private: true, locked: false }
      out.push(cur)
      expectFpr = true
    } else if (f[0] === 'ssb') expectFpr = true
    else if (f[0] === 'fpr' && cur && expectFpr) {
      if (f[9]) cur.fingerprints.push(f[9].toUpperCase())
      expectFpr = false
    } else if (f[0] === 'uid' && cur && cur.userId === undefined && f[9]) cur.userId = unescape(f[9])
  }
  return out.filter((k) => k.fingerprints.length)
}

/**
 * The secret keys of the gpg keyring (`gpg --batch --no-tty --with-colons --list-secret-keys`,
 * argv only, no shell). Throws ReadError when gpg cannot be run or fails.
 */
export function gpgSecretKeys(env: NodeJS.ProcessEnv): Promise<PgpKeyFacts[]> {
  const program = gpgProgram(env)
  return new Promise((done, fail) => {
    execFile(program, ['--batch', '--no-tty', '--with-colons', '--list-secret-keys'], { env, timeout: 20_000, maxBuffer: 4 << 20, windowsHide: true }, (err, stdout) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code
        fail(new ReadError(`${program} --list-secret-keys failed${typeof code === 'number' ? ` (exit ${code})` : code ? ` (${code})` : ''}`))
        return
      }
      done(parseGpgSecretKeys(String(stdout)))
    })
  })
}
