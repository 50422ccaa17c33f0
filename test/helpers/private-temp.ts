/**
 * What sops-like left in a runtime/temp folder used as XDG_RUNTIME_DIR or TMPDIR: every
 * entry, except that the per-user base folder of src/io/private-temp.ts (`sops-like`,
 * `sops-like-<uid>`, kept between runs) is looked into instead of listed.
 */
import { lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const BASE = /^sops-like(-\d+)?$/

export function privateLeftovers(folder: string): string[] {
  const out: string[] = []
  for (const n of readdirSync(folder)) {
    const p = join(folder, n)
    if (BASE.test(n) && lstatSync(p).isDirectory()) out.push(...readdirSync(p).map((m) => `${n}/${m}`))
    else out.push(n)
  }
  return out
}
