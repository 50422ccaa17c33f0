/**
 * The sops MAC: SHA-512 over the plaintext bytes of every leaf in document order,
 * uppercase hex, stored encrypted with `lastmodified` as AAD; compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

/** sha256("sops"): the seed sops hashes first when `mac_only_encrypted` is set. */
const MAC_ONLY_ENCRYPTED_SEED = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex')

export class MacBuilder {
  private readonly h = createHash('sha512')
  constructor(macOnlyEncrypted = false) {
    if (macOnlyEncrypted) this.h.update(MAC_ONLY_ENCRYPTED_SEED)
  }
  add(bytes: Uint8Array): void {
    this.h.update(bytes)
  }
  private cached?: string
  hex(): string {
    this.cached ??= this.h.digest('hex').toUpperCase()
    return this.cached
  }
}

/** Constant-time comparison of two MAC strings. */
export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}
