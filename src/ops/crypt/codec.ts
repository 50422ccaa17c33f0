/**
 * Which format reads and writes a file's encrypted form, and the file's formats from
 * its name or explicit types. Binary files are stored as a JSON `{data, sops}` envelope.
 */
import { formatForPath, isFormatName, loadFormat, withIndent, type Format, type FormatName } from '../../formats/index.js'
import { UsageError } from '../../errors.js'

/** The format used for the ENCRYPTED side of a file whose plain format is `f`. */
export async function encryptedCodec(f: Format): Promise<Format> {
  return f.metadataLayout === 'binary' ? { ...(await withIndent(await loadFormat('json'), f.indent)), metadataLayout: 'binary' } : f
}

export function pickFormat(path: string | undefined, explicit: string | undefined, fallback: FormatName = 'binary'): FormatName {
  if (explicit) {
    if (!isFormatName(explicit)) throw new UsageError(`unknown format ${explicit} (use yaml, json, dotenv, ini, toml or binary)`)
    return explicit
  }
  return path && path !== '-' ? formatForPath(path) : fallback
}
