/**
 * Finds the config: `--config` / SOPS_LIKE_CONFIG / SOPS_CONFIG, else walk up from the
 * target file's folder looking for `.sops-like.yaml`, then `.sops.yaml`, at each level; the walk
 * stops below a folder others can write (src/io/folder-trust.ts).
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { ConfigNotFoundError } from '../errors.js'
import { isTrustedFolder } from '../io/folder-trust.js'

/** A `configPath` option resolved against the call's folder; none or '' (not given) stays undefined. */
export const explicitConfig = (cwd: string, configPath: string | undefined): string | undefined => (configPath ? resolve(cwd, configPath) : undefined)

export const CONFIG_NAMES = ['.sops-like.yaml', '.sops.yaml'] as const
const MAX_DEPTH = 100

/**
 * The config file for `target` (a file path or folder), or null with the folders searched (and the
 * folder others can write that ended the search). An `explicit` of '' is `--config` not given (sops'
 * flag default): the variables and the search apply.
 */
export function findConfig(startDir: string, opts: { explicit?: string; env?: NodeJS.ProcessEnv } = {}): { path: string | null; searched: string[]; untrusted?: string } {
  const explicit = opts.explicit || (opts.env?.SOPS_LIKE_CONFIG ?? opts.env?.SOPS_CONFIG)
  if (explicit) {
    if (!existsSync(explicit)) throw new ConfigNotFoundError(`config file ${explicit} does not exist`)
    return { path: resolve(explicit), searched: [] }
  }
  const searched: string[] = []
  let dir = resolve(startDir)
  for (let i = 0; i < MAX_DEPTH; i++) {
    // a folder others can write (/tmp, another user's) ends the search: anyone could plant a config there
    // (a folder that does not exist yet, such as an output's, holds none: the search goes on above it)
    if (existsSync(dir) && !isTrustedFolder(dir)) return { path: null, searched, untrusted: dir }
    searched.push(dir)
    for (const name of CONFIG_NAMES) {
      const p = join(dir, name)
      if (existsSync(p)) return { path: p, searched }
    }
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return { path: null, searched }
}
