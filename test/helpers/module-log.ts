/** A `--import` hook for child processes that records which times a package is resolved (lazy-loading tests). */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * Writes `<dir>/register-<pkg>.mjs`, which registers a resolve hook appending every specifier
 * of `pkg` (and its subpaths) to `log`, one per line. Returns the file URL for `--import`.
 */
export function moduleLogHook(dir: string, pkg: string, log: string): string {
  const hooks = `import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  if (specifier === ${JSON.stringify(pkg)} || specifier.startsWith(${JSON.stringify(pkg + '/')})) appendFileSync(${JSON.stringify(log)}, specifier + '\\n')
  return next(specifier, context)
}`
  const file = join(dir, `register-${pkg.replace(/\W/g, '_')}.mjs`)
  writeFileSync(file, `import { register } from 'node:module'\nregister(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hooks))})\n`)
  return pathToFileURL(file).href
}
