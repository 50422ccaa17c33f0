/**
 * bcrypt_pbkdf, the key derivation OpenSSH uses for passphrase-protected
 * `openssh-key-v1` private keys, written from the OpenBSD description
 * (bcrypt_pbkdf(3)): SHA-512 of the passphrase and of salt‖counter feed an
 * "eksblowfish" key schedule, 64 rounds encrypt a fixed 32-byte text, and the
 * output bytes of successive blocks are interleaved across the key.
 *
 * node:crypto has no Blowfish (OpenSSL 3 moved it to the legacy provider) and
 * none with a custom key schedule, and no maintained, audited package has
 * bcrypt_pbkdf (@noble/hashes does not; the `bcrypt-pbkdf` package is a 2018
 * port that depends on tweetnacl 0.14, measured at half the speed of this
 * file; test/keys/age-ssh.test.ts checks both agree), so a compact Blowfish lives here. Its initial
 * P-array and S-boxes (the digits of π) are the table in blowfish-tables.ts.
 */
import { createHash } from 'node:crypto'
import { blowfishInitialState } from './blowfish-tables.js'

const P_WORDS = 18

/** Blowfish state: P-array followed by the four S-boxes. */
export class Blowfish {
  readonly p: Uint32Array
  readonly s: Uint32Array
  private readonly block = new Uint32Array(2)

  constructor() {
    const st = blowfishInitialState()
    this.p = st.subarray(0, P_WORDS)
    this.s = st.subarray(P_WORDS)
  }

  /** Encrypts the 64-bit block held in `lr` ([left, right]) in place. */
  encryptBlock(lr: Uint32Array): void {
    const p = this.p
    const s = this.s
    let l = lr[0]!
    let r = lr[1]!
    l ^= p[0]!
    for (let i = 1; i <= 16; i += 2) {
      r ^= ((((s[l >>> 24]! + s[256 | ((l >>> 16) & 0xff)]!) ^ s[512 | ((l >>> 8) & 0xff)]!) + s[768 | (l & 0xff)]!) ^ p[i]!)
      l ^= ((((s[r >>> 24]! + s[256 | ((r >>> 16) & 0xff)]!) ^ s[512 | ((r >>> 8) & 0xff)]!) + s[768 | (r & 0xff)]!) ^ p[i + 1]!)
    }
    r ^= p[17]!
    lr[0] = r
    lr[1] = l
  }

  /**
   * The key schedule step shared by plain Blowfish and eksblowfish: XOR the
   * key (cycled) into P, then re-fill P and S by chained encryption, XORing in
   * `data` (cycled) before each block when given.
   */
  expand(key: Uint8Array, data?: Uint8Array): void {
    const kc = { j: 0 }
    for (let i = 0; i < P_WORDS; i++) this.p[i]! ^= streamWord(key, kc)
    const dc = { j: 0 }
    const lr = this.block
    lr[0] = 0
    lr[1] = 0
    const fill = (arr: Uint32Array) => {
      for (let i = 0; i < arr.length; i += 2) {
        if (data) {
          lr[0]! ^= streamWord(data, dc)
          lr[1]! ^= streamWord(data, dc)
        }
        this.encryptBlock(lr)
        arr[i] = lr[0]!
        arr[i + 1] = lr[1]!
      }
    }
    fill(this.p)
    fill(this.s)
  }
}

/** Next big-endian 32-bit word of `data`, wrapping around at its end. */
function streamWord(data: Uint8Array, cursor: { j: number }): number {
  let w = 0
  for (let k = 0; k < 4; k++) {
    w = (w << 8) | data[cursor.j]!
    cursor.j = (cursor.j + 1) % data.length
  }
  return w >>> 0
}

const MAGIC = new TextEncoder().encode('OxychromaticBlowfishSwatDynamite')

/** One bcrypt_hash block: 32 bytes from the SHA-512 digests of passphrase and salt. */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array): Uint8Array {
  const bf = new Blowfish()
  bf.expand(sha2pass, sha2salt)
  for (let i = 0; i < 64; i++) {
    bf.expand(sha2salt)
    bf.expand(sha2pass)
  }
  const cdata = new Uint32Array(8)
  const dv = new DataView(MAGIC.buffer, MAGIC.byteOffset, MAGIC.byteLength)
  for (let i = 0; i < 8; i++) cdata[i] = dv.getUint32(i * 4)
  for (let round = 0; round < 64; round++) {
    for (let b = 0; b < 8; b += 2) bf.encryptBlock(cdata.subarray(b, b + 2))
  }
  const out = new Uint8Array(32)
  const ov = new DataView(out.buffer)
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, cdata[i]!, true)
  return out
}

const sha512 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha512').update(b).digest())

/**
 * Derives `keyLength` bytes from a passphrase and salt with `rounds` iterations,
 * exactly as OpenBSD's bcrypt_pbkdf does.
 */
export function bcryptPbkdf(passphrase: Uint8Array, salt: Uint8Array, rounds: number, keyLength: number): Uint8Array {
  if (rounds < 1 || keyLength < 1 || keyLength > 32 * 32 || salt.length === 0) {
    throw new Error('invalid bcrypt_pbkdf parameters')
  }
  const stride = Math.ceil(keyLength / 32)
  const amount = Math.ceil(keyLength / stride)
  const key = new Uint8Array(keyLength)
  const sha2pass = sha512(passphrase)
  const countSalt = new Uint8Array(salt.length + 4)
  countSalt.set(salt)
  let left = keyLength
  for (let count = 1; left > 0; count++) {
    new DataView(countSalt.buffer).setUint32(salt.length, count)
    let tmp = bcryptHash(sha2pass, sha512(countSalt))
    const out = Uint8Array.from(tmp)
    for (let i = 1; i < rounds; i++) {
      tmp = bcryptHash(sha2pass, sha512(tmp))
      for (let j = 0; j < out.length; j++) out[j]! ^= tmp[j]!
    }
    const n = Math.min(amount, left)
    let i = 0
    for (; i < n; i++) {
      const dest = i * stride + (count - 1)
      if (dest >= keyLength) break
      key[dest] = out[i]!
    }
    left -= i
  }
  return key
}
