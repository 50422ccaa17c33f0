/**
 * `import 'sops-like/config'`: decrypts secrets into `process.env` at import time,
 * like `dotenv/config`. Variables already set win.
 *
 * Files: `SOPS_LIKE_FILES` (comma-separated, relative to the current folder), else
 * `run.files` from `.sops-like.yaml`, else the conventional names
 * (`secrets.enc.yaml`, …, `.env.enc`, `secrets.enc.toml`). When no file is named and
 * none of the defaults exists, nothing happens (as dotenv does without a `.env`);
 * any other failure (missing named file, no key, MAC mismatch) rejects the import.
 *
 * @example
 * ```ts
 * import 'sops-like/config'
 * console.log(process.env.db_password)
 * ```
 */
import { applyEnv } from './ops/run/env.js'
import { loadEnv } from './ops/run/load-env.js'
import { resolveRunFiles } from './ops/run/files.js'

const named = (process.env.SOPS_LIKE_FILES ?? '').split(',').map((f) => f.trim()).filter(Boolean)

let files: string[] | undefined = named
if (!named.length) {
  try {
    files = (await resolveRunFiles(undefined, { env: process.env })).files
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'NO_FILE') throw e
    files = undefined
  }
}

/** The names this import set in `process.env` (empty when no file was found). */
export const loaded: readonly string[] = files ? applyEnv(process.env, await loadEnv(files, { env: process.env })) : []
