/**
 * Loads the identities a file needs, and only those: age identities when the file
 * has age entries, PGP (and thus `openpgp`) only when it has PGP entries, each key service's
 * client only when it has entries of that service.
 */
import type { Identity, KeyEntry } from './key-source.js'
import { createAgeIdentity, isPluginIdentity } from './age-identity.js'
import { findAgeIdentities } from './age-identities.js'
import { promptSecret } from '../io/prompt-secret.js'
import { defined } from '../defined.js'

export interface IdentityOptions {
  env?: NodeJS.ProcessEnv
  /** Extra age identity strings (library users). */
  ageKeys?: string[]
  /** Armored PGP private key file (else SOPS_LIKE_PGP_KEY_FILE). */
  pgpKeyFile?: string
  /** Called with one-line notes (skipped keys, permission warnings). */
  onNote?: (line: string) => void
  /**
   * Which kinds of entries to try first in each key group (`age,pgp,hc_vault,kms,…`, sops'
   * --decryption-order; else SOPS_DECRYPTION_ORDER from `env`; else age, pgp). Read by the
   * operations that decrypt (src/core/decryption-order.ts), not here.
   */
  decryptionOrder?: string | readonly string[]
  /** A deadline for each key-service request (doctor's short probe); else each service's own. */
  serviceTimeoutMs?: number
}

export async function loadIdentities(entries: KeyEntry[], opts: IdentityOptions = {}): Promise<Identity[]> {
  const env = opts.env ?? process.env
  const types = new Set(entries.map((e) => e.type))
  const out: Identity[] = []
  if (types.has('age')) {
    const firstRecipient = entries.find((e) => e.type === 'age')?.fields.recipient
    const found = findAgeIdentities(env, defined({ recipientHint: firstRecipient }))
    // a variable that is set but holds no identity would otherwise be skipped without a word
    for (const v of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_CMD'] as const) {
      if (env[v] && !found.sources.some((s) => s.source === v)) opts.onNote?.(`warning: ${v} is set but ${v === 'SOPS_AGE_KEY' ? 'holds' : 'printed'} no age identity (AGE-SECRET-KEY-1…): ignored`)
    }
    if (env.SOPS_AGE_KEY_FILE && found.looked.some((l) => l.startsWith('SOPS_AGE_KEY_FILE'))) opts.onNote?.(`warning: SOPS_AGE_KEY_FILE (${env.SOPS_AGE_KEY_FILE}) holds no age identity (AGE-SECRET-KEY-1…): ignored`)
    const keys: Array<string | import('age-encryption').Identity> = [...(opts.ageKeys ?? []), ...found.keys]
    const labels = found.sources.map((s) => s.source)
    if (found.encryptedFiles.length) {
      const { decryptIdentityFile } = await import('./age-encrypted-identity.js')
      const { parseIdentityFile } = await import('./age-identities.js')
      for (const f of found.encryptedFiles) {
        const text = await decryptIdentityFile(f.bytes, () => Promise.resolve(env.SOPS_LIKE_AGE_PASSPHRASE ?? promptSecret(`Passphrase for age identity file ${f.source}: `)))
        keys.push(...parseIdentityFile(text))
        labels.push(f.source)
      }
    }
    {
      // SSH keys are gathered as sops does; passphrases are only asked for when a stanza needs them
      const { findSshIdentities } = await import('./ssh-find.js')
      const ssh = await findSshIdentities(env, defined({ onNote: opts.onNote }))
      const recipients = new Set(entries.map((e) => e.fields.recipient?.trim() ?? ""))
      for (const s of ssh) {
        // an encrypted key's derived age1 identity is offered only to entries written to it (no needless prompts)
        if (s.details.stanza === 'X25519' && s.details.encrypted && !recipients.has(s.details.ageRecipient ?? "")) continue
        keys.push(s.identity)
        labels.push(s.description)
      }
    }
    const plugins = keys.filter(isPluginIdentity) as string[]
    const usable = keys.filter((k) => !isPluginIdentity(k))
    if (plugins.length) {
      // each runs its `age-plugin-<name>` program, and only when native identities did not open an entry
      const { pluginIdentity } = await import('./age-plugin.js')
      for (const p of plugins) {
        try {
          usable.push(pluginIdentity(p, { env, ...defined({ onNote: opts.onNote, message: opts.onNote }) }) as unknown as import('age-encryption').Identity)
        } catch {
          opts.onNote?.('skipped a malformed age plugin identity (AGE-PLUGIN-…)')
        }
      }
    }
    if (usable.length) out.push(createAgeIdentity(usable, `age (${labels.join(', ') || 'given keys'})`))
  }
  if (types.has('pgp')) {
    const { createPgpIdentities } = await import('./pgp.js')
    out.push(...createPgpIdentities(env, defined({ keyFile: opts.pgpKeyFile })))
  }
  if (types.has('hc_vault')) {
    // the module (and any network) only when the file has Vault Transit entries
    const { createVaultIdentity } = await import('./hc-vault.js')
    out.push(createVaultIdentity({ env, ...defined({ onNote: opts.onNote, timeoutMs: opts.serviceTimeoutMs }) }))
  }
  if (types.has('kms')) {
    // the AWS SDK only when the file has KMS entries
    const { createKmsIdentity } = await import('./aws-kms.js')
    out.push(createKmsIdentity({ env, ...defined({ onNote: opts.onNote, timeoutMs: opts.serviceTimeoutMs }) }))
  }
  if (types.has('gcp_kms')) {
    // the GCP KMS client only when the file has GCP KMS entries
    const { createGcpKmsIdentity } = await import('./gcp-kms.js')
    out.push(createGcpKmsIdentity({ env, ...defined({ onNote: opts.onNote }) }))
  }
  if (types.has('azure_kv')) {
    // the Azure SDK only when the file has Azure Key Vault entries
    const { createAzureKvIdentity } = await import('./azure-kv.js')
    out.push(createAzureKvIdentity({ env, ...defined({ onNote: opts.onNote }) }))
  }
  return out
}
