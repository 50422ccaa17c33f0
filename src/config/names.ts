/**
 * Named recipients: the config's top-level `recipients:` map (`ops-lead: age1…`,
 * `ci: [age1…, ssh-ed25519 …]`, values age/SSH recipients or PGP fingerprints) and the
 * ONE place where a name used in a rule's `age:`/`pgp:`/key_groups lists becomes the
 * recipient strings it stands for, so every consumer of a parsed config (encrypt,
 * updatekeys, rotate, offboard, check, the merge driver) sees key strings only. A name
 * expands to all its keys, each in its own kind, whichever list it is written in.
 * Also the reverse lookup (recipient → name) used for display. Pure: no I/O.
 */
import { ConfigError } from '../errors.js'

/** The keys one name stands for, split by kind (PGP fingerprints upper-case, no spaces). */
export interface NamedKeys {
  age: string[]
  pgp: string[]
}

/** name → keys, in the order the config lists them. */
export type RecipientNames = Readonly<Record<string, NamedKeys>>

const AGE_PREFIX = /^(age1|ssh-|ecdsa-|sk-)/
const FP_SHAPE = /^(0x)?[0-9a-f]{8,}!?$/i
/** What a name may look like: a word, dots, dashes, `@` (so `alice@example.com` works). */
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.@+-]*$/

/** Whether a list entry is written as a key (age/SSH recipient, PGP fingerprint or key id), not a name. */
export function looksLikeKey(s: string): boolean {
  return AGE_PREFIX.test(s) || /\s/.test(s) || FP_SHAPE.test(s)
}

/** Whether a list entry is written as a name (and so must be defined under `recipients:`). */
export const looksLikeName = (s: string): boolean => NAME_RE.test(s) && !looksLikeKey(s)

const normFp = (s: string): string => s.replace(/\s+/g, '').toUpperCase().replace(/^0X/, '').replace(/!$/, '')
const normAge = (s: string): string => s.trim().replace(/\s+/g, ' ')

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Parses the `recipients:` section (absent or null: no names). Throws ConfigError naming the entry. */
export function parseRecipientNames(v: unknown, path: string): RecipientNames {
  if (v === undefined || v === null) return {}
  if (!isObj(v)) throw new ConfigError(`config ${path}: recipients must be a mapping of names to keys`)
  const out: Record<string, NamedKeys> = Object.create(null) as Record<string, NamedKeys>
  for (const [name, value] of Object.entries(v)) {
    const where = `recipients.${name}`
    if (looksLikeKey(name)) throw new ConfigError(`config ${path}: ${where}: the name looks like a key (age1…, ssh-…, a fingerprint); pick a name such as ops-lead`)
    if (!NAME_RE.test(name)) throw new ConfigError(`config ${path}: ${where}: a name may hold only letters, digits, '.', '_', '-', '@', '+' and must start with a letter`)
    const items = Array.isArray(value) ? value : [value]
    const keys: NamedKeys = { age: [], pgp: [] }
    for (const it of items) {
      if (typeof it !== 'string') throw new ConfigError(`config ${path}: ${where} must be a string or a list of strings`)
      for (const raw of it.split(',')) {
        const k = raw.trim()
        if (!k) continue
        if (AGE_PREFIX.test(k)) keys.age.push(k)
        else if (FP_SHAPE.test(k.replace(/\s+/g, ''))) keys.pgp.push(normFp(k))
        else throw new ConfigError(`config ${path}: ${where}: an entry is not an age recipient, SSH key or PGP fingerprint (a name cannot stand for another name)`)
      }
    }
    if (!keys.age.length && !keys.pgp.length) throw new ConfigError(`config ${path}: ${where} lists no keys`)
    keys.age = [...new Set(keys.age)]
    keys.pgp = [...new Set(keys.pgp)]
    out[name] = keys
  }
  return out
}

/**
 * Replaces names in one `age:` or `pgp:` list (entries already split on commas) by their keys.
 * `kind` is the list the entries were written in; keys written literally stay in it, a name's
 * keys go to their own kind. Throws ConfigError naming `where` for an undefined name.
 */
export function expandNames(entries: string[], kind: 'age' | 'pgp', names: RecipientNames, where: string): NamedKeys {
  const out: NamedKeys = { age: [], pgp: [] }
  for (const e of entries) {
    if (!looksLikeName(e)) { out[kind].push(e); continue }
    const keys = Object.prototype.hasOwnProperty.call(names, e) ? names[e] : undefined
    if (!keys) throw new ConfigError(`${where}: unknown recipient name ${e} (define it under recipients:, or write the key itself)`)
    out.age.push(...keys.age)
    out.pgp.push(...keys.pgp)
  }
  return out
}

/** A recipient as the reverse lookup takes it: `{type: 'age'|'pgp'|…, id}`. */
export interface KeyRef { type: string; id: string }

function same(kind: 'age' | 'pgp', key: string, r: KeyRef): boolean {
  if (kind !== r.type) return false
  if (kind === 'age') return normAge(key) === normAge(r.id)
  const x = normFp(key)
  const y = normFp(r.id)
  if (x === y) return true
  const [short, long] = x.length <= y.length ? [x, y] : [y, x]
  return short.length >= 16 && long.endsWith(short)
}

/** The name the config gives a recipient (the first that lists it), or undefined. */
export function recipientName(names: RecipientNames | undefined, r: KeyRef): string | undefined {
  if (!names) return undefined
  for (const [name, keys] of Object.entries(names)) {
    if (keys.age.some((k) => same('age', k, r)) || keys.pgp.some((k) => same('pgp', k, r))) return name
  }
  return undefined
}

/** The keys a name stands for, as refs (undefined when the config does not define it). */
export function keysOfName(names: RecipientNames | undefined, name: string): KeyRef[] | undefined {
  const keys = names && Object.prototype.hasOwnProperty.call(names, name) ? names[name] : undefined
  if (!keys) return undefined
  return [...keys.age.map((id) => ({ type: 'age', id })), ...keys.pgp.map((id) => ({ type: 'pgp', id }))]
}
