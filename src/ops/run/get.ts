/**
 * `get` (dotenvx's habit): one decrypted value, or every variable `run` would export, without
 * starting a command. A key is a sops tree path (`["db"]["password"]`), a dotted path
 * (`db.password`, `hosts.0`), or a variable name as `run` exports it (`db_password`); the later
 * file wins, as in `run`. A missing key is PathNotFoundError (exit 1, sops' code for a missing
 * `--extract` path) naming the key and the files, never a value.
 */
import { getAtPath, parseTreePath } from '../../core/tree-path.js'
import type { Node, Path } from '../../core/tree.js'
import { PathNotFoundError, UsageError } from '../../errors.js'
import { nodeJson, scalarEnvText } from './env.js'
import { envEntriesOf, openEnvFiles, type LoadEnvOptions, type OpenedEnvFile } from './load-env.js'

export type GetFormat = 'json' | 'shell' | 'eval'

/** The candidate paths of a key: a bracket path as is; else the whole key, then its dotted split. */
export function keyPaths(key: string): Path[] {
  if (key === '') throw new UsageError('the key is empty: give a name, a dotted path (db.password) or a tree path (\'["db"]["password"]\')')
  if (key.startsWith('[')) return [parseTreePath(key)]
  const dotted = key.split('.').map((c) => (/^\d+$/.test(c) ? Number(c) : c))
  return key.includes('.') ? [[key], dotted] : [[key]]
}

/** The text `get` prints for a node: a scalar's plain text (as `run` exports it), a map or list as compact JSON. */
export const nodeText = (n: Node): string => (n.kind === 'scalar' ? scalarEnvText(n) : nodeJson(n))

function lookup(opened: readonly OpenedEnvFile[], key: string, upper: boolean): string | undefined {
  const paths = keyPaths(key)
  for (const o of [...opened].reverse()) {
    for (const b of o.tree.branches) {
      for (const p of paths) {
        try {
          return nodeText(getAtPath(b, p))
        } catch (e) {
          if (!(e instanceof PathNotFoundError)) throw e
          // a dotted number is a list index, or else a key spelled with digits
          const asKeys = p.map(String)
          if (p.some((c) => typeof c === 'number')) {
            try {
              return nodeText(getAtPath(b, asKeys))
            } catch (e2) {
              if (!(e2 instanceof PathNotFoundError)) throw e2
            }
          }
        }
      }
    }
  }
  // a variable name as run exports it (nested keys joined with _)
  if (key.startsWith('[')) return undefined
  try {
    return envEntriesOf(opened, { upper }).get(key)?.value
  } catch {
    return undefined // a file whose keys cannot all be variables: the key was not found as a path either
  }
}

export interface GetOptions extends LoadEnvOptions {}

/** The plain value of `key` in `files` (default: run's files). */
export async function getValue(key: string, files?: readonly string[], opts: GetOptions = {}): Promise<string> {
  const { opened } = await openEnvFiles(files, opts)
  const v = lookup(opened, key, !!opts.upper)
  if (v === undefined) {
    throw new PathNotFoundError(`${key} not found in ${opened.map((o) => o.name).join(', ')}`, {
      hint: 'list the names with sops-like run --dry-run, or sops-like get --all',
    })
  }
  return v
}

/** Every variable `run` would export from `files`: name → value, in load order. */
export async function getAll(files?: readonly string[], opts: GetOptions = {}): Promise<Array<[string, string]>> {
  const { opened } = await openEnvFiles(files, opts)
  return [...envEntriesOf(opened, opts).values()].map((e) => [e.name, e.value])
}

/**
 * POSIX single-quoting: safe to paste into a shell whatever the value holds. A value that starts
 * with `=` is quoted too: zsh expands `A==ls` to the path of `ls` (its EQUALS option).
 */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/**
 * Variables as text: `json` one JSON object; `shell` `NAME=value` pairs on one line; `eval` one
 * `NAME=value` line each (for `eval "$(sops-like get --all --format eval)"`). Shell forms are
 * single-quoted where needed, so a value never runs as code.
 */
export function formatVars(vars: ReadonlyArray<readonly [string, string]>, format: GetFormat): string {
  if (format === 'json') return `${JSON.stringify(Object.fromEntries(vars))}\n`
  const lines = vars.map(([k, v]) => `${k}=${shellQuote(v)}`)
  return format === 'shell' ? `${lines.join(' ')}\n` : lines.map((l) => `${l}\n`).join('')
}
