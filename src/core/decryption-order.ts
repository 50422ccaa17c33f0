/**
 * sops' `--decryption-order` / SOPS_DECRYPTION_ORDER: which kinds of key entries of a key group
 * are tried first (e.g. `hc_vault,age` asks the Vault before looking for an age key). As sops:
 * a comma-separated list of key types, the flag winning over the variable, default `age,pgp`;
 * entries of kinds not listed are tried after, in file order; a type given twice is refused.
 * Unlike sops (which silently tries an unknown type last), a type that is not a sops key type
 * is a usage error, so that a typo (`vault`, `aws_kms`) does not quietly change nothing.
 */
import { UsageError } from '../errors.js'
import { KEY_TYPES } from './metadata.js'

/** sops' DefaultDecryptionOrder. */
export const DEFAULT_DECRYPTION_ORDER: readonly string[] = ['age', 'pgp']

/** Parses `age,pgp,hc_vault,…` (spaces around items and empty items ignored); throws UsageError naming `source`. */
export function parseDecryptionOrder(spec: string, source = '--decryption-order'): string[] {
  const items = spec.split(',').map((x) => x.trim()).filter(Boolean)
  const seen = new Set<string>()
  for (const t of items) {
    if (!(KEY_TYPES as readonly string[]).includes(t)) {
      throw new UsageError(`${source}: ${JSON.stringify(t.slice(0, 40))} is not a key type; use a comma-separated list of ${KEY_TYPES.join(', ')} (e.g. age,pgp,hc_vault,kms)`)
    }
    if (seen.has(t)) throw new UsageError(`${source}: key type ${t} is listed twice`)
    seen.add(t)
  }
  return items.length ? items : [...DEFAULT_DECRYPTION_ORDER]
}

/** The order in force: `decryptionOrder` (a flag's string or a list), else SOPS_DECRYPTION_ORDER from `env`, else sops' default. */
export function decryptionOrderOf(opts: { decryptionOrder?: string | readonly string[]; env?: NodeJS.ProcessEnv }): string[] {
  const given = opts.decryptionOrder
  if (given !== undefined) return parseDecryptionOrder(typeof given === 'string' ? given : given.join(','))
  const fromEnv = (opts.env ?? process.env).SOPS_DECRYPTION_ORDER
  return fromEnv ? parseDecryptionOrder(fromEnv, 'SOPS_DECRYPTION_ORDER') : [...DEFAULT_DECRYPTION_ORDER]
}
