/**
 * Decrypted tree → environment variables (`run`, `loadEnv`, `sops-like/config`).
 *
 * Names: top-level keys as written; nested maps are flattened by joining keys with
 * `_` (`db: {password: x}` → `db_password`); `upper` upper-cases every name. A list
 * becomes its JSON text. Values: strings as-is, other scalars as sops' ValToString
 * writes them (bool `true`/`false`, float Go 'G' with `.0`, int decimal), null → ''.
 * A name that cannot be a variable, or two keys that map to one name, is an
 * EnvNameError naming the keys, never a value.
 */
import { formatFloatJSON } from '../../core/go-number.js'
import { formatTreePath } from '../../core/tree-path.js'
import type { Mapping, Node, Path, Scalar, Tree } from '../../core/tree.js'
import { EnvNameError } from '../../errors.js'
import { floatFromText, valToString } from '../../formats/val-to-string.js'
import { defined } from '../../defined.js'

/** One variable: its name, value, and where it came from (file and tree path, for messages and `--dry-run`). */
export interface EnvEntry {
  name: string
  value: string
  file?: string
  path: Path
}

/** Portable environment variable names (POSIX shell identifiers). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * The variables that hold the keys which open encrypted files; `run` removes them from
 * the child's environment unless told to keep them.
 */
export const KEY_ENV_VARS: readonly string[] = [
  'SOPS_AGE_KEY',
  'SOPS_AGE_KEY_FILE',
  'SOPS_AGE_KEY_CMD',
  'SOPS_AGE_SSH_PRIVATE_KEY_FILE',
  'SOPS_LIKE_AGE_PASSPHRASE',
  'SOPS_LIKE_SSH_PASSPHRASE',
  'SOPS_LIKE_PGP_KEY_FILE',
  'SOPS_LIKE_PGP_PASSPHRASE',
]

/** The environment text of a scalar: sops ValToString, except that a string is its exact text (its bytes as UTF-8) and null is ''. */
export function scalarEnvText(s: Scalar): string {
  if (s.type === 'str' || s.type === 'bytes') return s.raw ? Buffer.from(s.raw).toString('utf8') : s.text
  if (s.type === 'null') return ''
  return valToString(s)
}

/** Compact JSON text of a node (lists; maps inside lists keep their key order). */
export function nodeJson(n: Node): string {
  switch (n.kind) {
    case 'seq':
      return `[${n.items.flatMap((i) => (i.kind === 'comment' ? [] : [nodeJson(i)])).join(',')}]`
    case 'map':
      return `{${n.entries.flatMap((e) => (e.kind === 'pair' ? [`${JSON.stringify(e.key)}:${nodeJson(e.value)}`] : [])).join(',')}}`
    default:
      switch (n.type) {
        case 'int':
          return n.text
        case 'float': {
          const x = floatFromText(n.text)
          return Number.isFinite(x) ? formatFloatJSON(x) : JSON.stringify(scalarEnvText(n))
        }
        case 'bool':
          return scalarEnvText(n)
        case 'null':
          return 'null'
        default:
          return JSON.stringify(scalarEnvText(n))
      }
  }
}

export interface TreeToEnvOptions {
  /** Upper-case every name. */
  upper?: boolean
  /** The file the tree came from (messages and `--dry-run`). */
  file?: string
}

const where = (file: string | undefined): string => (file ? ` in ${file}` : '')

/**
 * The variables of one decrypted tree, in document order. Every document of a
 * multi-document file contributes; comments are skipped.
 */
export function treeToEnv(tree: Tree, opts: TreeToEnvOptions = {}): EnvEntry[] {
  const out: EnvEntry[] = []
  const seen = new Map<string, Path>()
  const add = (path: Path, value: string): void => {
    const joined = path.join('_')
    if (!ENV_NAME.test(joined)) {
      throw new EnvNameError(`key ${formatTreePath(path)}${where(opts.file)} cannot be an environment variable name`, {
        hint: 'names use letters, digits and _ and do not start with a digit',
      })
    }
    const name = opts.upper ? joined.toUpperCase() : joined
    const prev = seen.get(name)
    if (prev) throw new EnvNameError(`keys ${formatTreePath(prev)} and ${formatTreePath(path)}${where(opts.file)} both map to the variable ${name}`)
    if (value.includes('\0')) throw new EnvNameError(`the value of key ${formatTreePath(path)}${where(opts.file)} contains a NUL character and cannot be put in the environment`)
    seen.set(name, path)
    out.push({ name, value, path, ...defined({ file: opts.file }) })
  }
  const walk = (m: Mapping, prefix: Path): void => {
    for (const e of m.entries) {
      if (e.kind !== 'pair') continue
      const path = [...prefix, e.key]
      const v = e.value
      if (v.kind === 'map') walk(v, path)
      else add(path, v.kind === 'seq' ? nodeJson(v) : scalarEnvText(v))
    }
  }
  for (const b of tree.branches) walk(b, [])
  return out
}

/** Removes the key variables (KEY_ENV_VARS) from a copy of `env`. */
export function scrubKeyEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env }
  for (const k of KEY_ENV_VARS) delete out[k]
  return out
}

export interface MergeEnvOptions {
  /** The files' values win over variables already set. */
  override?: boolean
  /** Start from an empty environment: only the files' values. */
  pristine?: boolean
}

/**
 * The environment for a child: `base` plus `vars`. Variables already in `base` win
 * (the dotenv convention) unless `override`; `pristine` ignores `base`.
 */
export function mergeEnv(base: NodeJS.ProcessEnv, vars: Record<string, string>, opts: MergeEnvOptions = {}): Record<string, string> {
  // null prototype: a variable named __proto__ is just a name
  const out = Object.create(null) as Record<string, string>
  if (!opts.pristine) for (const [k, v] of Object.entries(base)) if (v !== undefined) out[k] = v
  for (const [k, v] of Object.entries(vars)) {
    if (opts.pristine || opts.override || !Object.prototype.hasOwnProperty.call(out, k)) out[k] = v
  }
  return out
}

/** Sets the variables in `target` (e.g. process.env); existing ones win unless `override`. Returns the names set. */
export function applyEnv(target: NodeJS.ProcessEnv, vars: Record<string, string>, opts: { override?: boolean } = {}): string[] {
  const set: string[] = []
  for (const [k, v] of Object.entries(vars)) {
    if (!opts.override && target[k] !== undefined) continue
    target[k] = v
    set.push(k)
  }
  return set
}
