/**
 * Better words for "this input is not in the format we read it as": the format is
 * picked from the file name (`formatForPath`), standard input is read as binary unless
 * named, so `git show :3:secrets.enc.yaml | sops-like decrypt` or a YAML file called
 * `x.json` fails in the wrong parser. This guesses the real format from the first
 * bytes and adds the flag that fixes it (`--input-type`, `--filename-override`) to the
 * one-line error. The guess only ever chooses words of the message, never a parser, and
 * the message names format names only, never input text.
 */
import type { FormatName } from '../../formats/index.js'
import { EmitError, FormatError } from '../../errors.js'

/** A guess at the format of `bytes` from their first lines (for hints only). */
export function sniffFormat(bytes: Uint8Array): FormatName | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 8192)).toString('utf8').replace(/^\uFEFF/, '')
  const text = head.trimStart()
  if (text.startsWith('{')) return 'json'
  if (/^\[\[sops\.|^\[sops\]\s*$[\s\S]*^\w+ = "/m.test(text)) return 'toml'
  if (/^\[sops\]\s*$/m.test(text)) return 'ini'
  if (/^sops:[ \t]*$/m.test(text) || /^(---|[A-Za-z_"'][^\n=]*:([ \t]|$))/m.test(text)) return 'yaml'
  if (/^(sops_[a-z_]+|[A-Za-z_][A-Za-z0-9_]*)=/m.test(text)) return 'dotenv'
  return undefined
}

/** The format `bytes` look like when it is not `used` (a sops file read with the wrong parser?), else undefined. */
export function otherFormatGuess(bytes: Uint8Array, used: FormatName): FormatName | undefined {
  const guess = sniffFormat(bytes)
  return guess !== undefined && guess !== used && !(used === 'binary' && guess === 'json') ? guess : undefined
}

/**
 * The error to throw instead of `e` (a parse or binary-emit failure of `input` read as
 * `used`): the same class and text plus the flag to use. Other errors are returned as is.
 * `unnamedStdin`: the input came from standard input without `--filename-override`.
 */
export function withFormatHint(e: unknown, input: Uint8Array, used: FormatName, unnamedStdin: boolean): unknown {
  const parse = e instanceof FormatError
  const binary = e instanceof EmitError && used === 'binary' && e.message.startsWith('error emitting binary store')
  if (!parse && !binary) return e
  const guess = sniffFormat(input)
  const name = unnamedStdin ? ' (or --filename-override PATH: the name standard input came from)' : ''
  let hint: string
  if (guess && guess !== used && !(used === 'binary' && guess === 'json' && parse)) hint = `; it looks like ${guess.toUpperCase()}: pass --input-type ${guess}${name}`
  else hint = `; read as ${used}${unnamedStdin ? ' because standard input has no name' : ' from its name'}: pass --input-type (yaml, json, dotenv, ini, toml, binary)${name}`
  const msg = e.message + hint
  const out = parse ? new FormatError(msg) : new EmitError(msg)
  if ((e as EmitError).hint) out.hint = (e as EmitError).hint
  return out
}
