/**
 * age master keys: each recipient gets its own armored age file holding the raw
 * data key (or Shamir share), as sops writes them (`{enc, recipient}`).
 */
import { Encrypter, armor, type Recipient as AgeRecipient } from 'age-encryption'
import { RecipientError } from '../errors.js'
import type { KeyEntry, Recipient } from './key-source.js'
import { parseSshRecipient } from './age-ssh.js'
import { bech32Decode, isLowOrderX25519 } from './ssh-x25519.js'
import { pluginRecipient, pluginRecipientName } from './age-plugin.js'
import { defined } from '../defined.js'

const X25519_RE = /^age1[02-9ac-hj-np-z]{58}$/

/** Checks and normalizes an age recipient string; throws RecipientError. */
export function parseAgeRecipient(input: string, opts: { env?: NodeJS.ProcessEnv } = {}): { id: string; recipient: string | AgeRecipient } {
  const id = input.trim()
  if (id.startsWith('ssh-') || id.startsWith('ecdsa-') || id.startsWith('sk-')) {
    return { id, recipient: parseSshRecipient(id) as AgeRecipient }
  }
  if (id.startsWith('age1pq1') || id.startsWith('age1tag')) {
    try {
      new Encrypter().addRecipient(id)
    } catch {
      throw new RecipientError(`invalid age recipient ${id.slice(0, 12)}…`)
    }
    return { id, recipient: id }
  }
  if (!X25519_RE.test(id)) {
    if (pluginRecipientName(id)) return { id, recipient: pluginRecipient(id, defined({ env: opts.env })) as unknown as AgeRecipient }
    throw new RecipientError(`invalid age recipient: ${id.length > 70 ? id.slice(0, 12) + '…' : id}`)
  }
  const point = bech32Decode('age', id)
  if (!point || point.length !== 32) throw new RecipientError(`invalid age recipient: ${id}`)
  if (isLowOrderX25519(point)) throw new RecipientError(`age recipient ${id} is not a usable public key (a low-order point): nobody could decrypt to it`)
  try {
    new Encrypter().addRecipient(id)
  } catch {
    throw new RecipientError(`invalid age recipient: ${id}`)
  }
  return { id, recipient: id }
}

/** `env` is where an age plugin (`age-plugin-<name>`) is looked up, for plugin recipients. */
export function createAgeRecipient(input: string, opts: { env?: NodeJS.ProcessEnv } = {}): Recipient {
  const { id, recipient } = parseAgeRecipient(input, typeof opts === 'object' ? opts : {})
  return {
    type: 'age',
    id,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      const e = new Encrypter()
      e.addRecipient(recipient)
      let file: Uint8Array
      try {
        file = await e.encrypt(dataKey)
      } catch (err) {
        if (err instanceof RecipientError) throw err
        throw new RecipientError(`cannot encrypt to age recipient ${id.length > 70 ? id.slice(0, 12) + '…' : id}`)
      }
      return { type: 'age', fields: { enc: armor.encode(file), recipient: id } }
    },
  }
}

export { createAgeIdentity } from './age-identity.js'
