/**
 * `set` and `unset` on an encrypted file: open it (MAC verified), edit the tree of
 * document 1 by path, re-seal with the SAME data key (unchanged values keep their
 * exact `ENC[...]` text through the IV stash) and write atomically in place.
 * rewrite-guard may refuse (selector downgrade) or rotate the key (swapped since HEAD).
 * `resealBytes` is the shared "rewrite without rotating" step (edit uses it too).
 */
import { resolve } from 'node:path'
import { loadFormat, withIndent, type Format } from '../../formats/index.js'
import { sealTree, type OpenedDocument } from '../../core/document.js'
import { hasPath, setInTree, unsetInTree, type EditResult } from '../../core/tree-edit.js'
import { parseTreePath } from '../../core/tree-path.js'
import type { Node, Path, Tree } from '../../core/tree.js'
import { AlreadyEncryptedError, InvalidPathError, InvalidSetPathError, InvalidSetValueError, type FormatError } from '../../errors.js'
import { formatFloatF } from '../../core/go-number.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { assertInPlaceTarget } from '../../io/in-place.js'
import { readInput } from '../../io/read.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { encryptedCodec, pickFormat } from '../crypt/codec.js'
import { openBytes, parseEncrypted } from '../crypt/decrypt.js'
import { checkRewriteRecipients } from '../keys/recipient-policy.js'
import { guardRewrite, type RewriteGuardOptions } from '../keys/rewrite-guard.js'
import { defined } from '../../defined.js'

export interface RewriteOptions extends IdentityOptions, RewriteGuardOptions {
  /** Format of the file (default: from its name). */
  inputType?: string
  /** Folder relative paths are resolved against. */
  cwd?: string
  identities?: Identity[]
  /** Skip the write when nothing changed (sops `--idempotent`); without it the file is always rewritten, as sops does. */
  idempotent?: boolean
  /** Write even if the file lists recipients its creation rule does not (else UnlistedRecipientError; see recipient-policy.ts). */
  keepUnlisted?: boolean
  /** Config for the creation-rule lookup (default: found upwards from the file). */
  configPath?: string
  /** Rewrite a read-only (no owner write) file too (ReadOnlyFileError otherwise). */
  force?: boolean
  /** sops `--indent`: spaces per level of YAML/JSON output. */
  indent?: number
  now?: Date
}

export interface RewriteResult {
  /** The document's content changed. */
  changed: boolean
  /** The file was rewritten. */
  written: boolean
}

/** Re-encrypts a plaintext tree with an opened document's data key and keys (no rotation) and emits the file bytes. */
export async function resealBytes(plain: Tree, format: Format, base: OpenedDocument, now?: Date): Promise<Uint8Array> {
  const sealed = await sealTree(plain, format, { reuse: base, ...defined({ now }) })
  return (await encryptedCodec(format)).emit(sealed.tree)
}

/** Opens an encrypted file, applies `edit` to its plaintext tree and writes it back (see RewriteOptions.idempotent). */
export async function rewriteEncryptedFile(
  file: string,
  edit: (doc: OpenedDocument, format: Format) => EditResult<Tree>,
  opts: RewriteOptions = {},
): Promise<RewriteResult> {
  const abs = resolve(opts.cwd ?? process.cwd(), file)
  assertInPlaceTarget(abs, { refuseReadOnly: !opts.force })
  const format = await withIndent(await loadFormat(pickFormat(abs, opts.inputType)), opts.indent)
  const input = readInput(abs)
  const parsed = await parseEncrypted(input, format.name, file) // kept: the downgrade guard compares with it
  const doc = await openBytes(input, { ...opts, inputFormat: format.name, fileName: file, parsed })
  await checkRewriteRecipients(file, abs, doc.metadata.keyGroups, opts)
  const { result, changed } = edit(doc, format)
  if (!changed && opts.idempotent) return { changed: false, written: false }
  const guard = await guardRewrite(abs, input, format, doc, { ...opts, keepVersion: true, parsed }) // selector downgrade, key swap (rotates); sops' set keeps `version`
  writeFileAtomic(abs, await guard.seal(result, opts.now))
  return { changed, written: true }
}

const toPath = (p: string | Path): Path => (typeof p === 'string' ? parseTreePath(p) : p)

/** sops answers every `set` path problem (and a malformed `unset` path) with exit 7, "invalid set format". */
function asSetPathError(e: unknown): unknown {
  const code = (e as { code?: unknown } | undefined)?.code
  return code === 'BAD_TREE_PATH' || code === 'PATH_NOT_FOUND' ? new InvalidSetPathError((e as Error).message) : e
}

function setPath(p: string | Path): Path {
  try {
    return toPath(p)
  } catch (e) {
    throw asSetPathError(e)
  }
}

/** A binary file holds one value, `["data"]`: it can be replaced by a string, never removed or nested into. */
function checkBinaryTarget(path: Path, value: Node | undefined): void {
  if (path.length !== 1 || path[0] !== 'data') throw new InvalidPathError('a binary file has one path, ["data"]')
  if (!value) throw new InvalidPathError('the data of a binary file cannot be removed')
  if (value.kind !== 'scalar' || value.type !== 'str') throw new InvalidSetValueError('the data of a binary file must be a string')
}

function checkTarget(format: Format, path: Path, value?: Node): void {
  if (format.metadataLayout === 'binary') return checkBinaryTarget(path, value)
  const top = path[0]
  if (typeof top === 'string' && (format.metadataLayout === 'prefixed' ? top.startsWith('sops_') : top === 'sops')) {
    throw new AlreadyEncryptedError(`setting ${format.metadataLayout === 'prefixed' ? 'a sops_ key' : 'a top-level sops key'} would clash with the file's metadata`)
  }
}

/** Sets the value at `path` (e.g. `["db"]["password"]`) in document 1 of an encrypted file. */
export async function setValue(file: string, path: string | Path, value: Node, opts: RewriteOptions = {}): Promise<RewriteResult> {
  const p = setPath(path)
  if (!p.length) throw new InvalidSetPathError('the path must name at least one key, e.g. ["key"]')
  return rewriteEncryptedFile(file, (doc, format) => {
    try {
      checkTarget(format, p, value)
      return setInTree(doc.tree, p, value)
    } catch (e) {
      throw asSetPathError(e)
    }
  }, opts)
}

/** Removes the key or list item at `path` from document 1; InvalidPathError when missing (unless `idempotent`). */
export async function unsetValue(file: string, path: string | Path, opts: RewriteOptions = {}): Promise<RewriteResult> {
  const p = setPath(path)
  if (!p.length) throw new InvalidSetPathError('the path must name at least one key, e.g. ["key"]')
  return rewriteEncryptedFile(file, (doc, format) => {
    checkTarget(format, p)
    const first = doc.tree.branches[0]
    if (opts.idempotent && (!first || !hasPath(first, p))) return { result: doc.tree, changed: false }
    return { result: unsetInTree(doc.tree, p), changed: true }
  }, opts)
}

/** Where a `set` value came from: the command line, standard input or a file. */
export type SetValueSource = 'argument' | 'stdin' | 'file'

export interface SetInput {
  /** The value's bytes as given. */
  text: string | Uint8Array
  source: SetValueSource
  /** Parse it as JSON even from stdin/a file or with a dotenv name (`--json`). */
  json?: boolean
}

/** True for a path given as a bare name (`API_KEY`) rather than a sops tree path (`["API_KEY"]`). */
const isBareName = (path: string): boolean => !path.trimStart().startsWith('[')

/**
 * `set` as the CLI gives it, with dotenvx's habits: in a dotenv file a bare name (`API_KEY`) is the
 * key and the value a plain string; a value from stdin or a file is a plain string (its bytes as
 * they are) in every format. JSON (sops' form) when asked with `json`, and for a command-line value
 * given with a tree path (`set FILE '["KEY"]' '"value"'` keeps working in every format).
 */
export async function setFromInput(file: string, path: string, input: SetInput, opts: RewriteOptions = {}): Promise<RewriteResult> {
  const format = pickFormat(resolve(opts.cwd ?? process.cwd(), file), opts.inputType)
  const bare = format === 'dotenv' && isBareName(path)
  if (!bare && isBareName(path) && format !== 'binary') {
    const parts = path.split('.').map((c) => (/^\d+$/.test(c) ? `[${c}]` : `["${c}"]`)).join('')
    throw new InvalidSetPathError(`a plain name or dotted path works in dotenv files only: in ${format} write the tree path, e.g. '${parts}', and the value as JSON, e.g. '"text"'`)
  }
  const asJson = input.json || (input.source === 'argument' && !bare)
  const value: Node = asJson ? await parseSetValue(input.text) : stringNode(input.text)
  return setValue(file, bare ? [path] : path, value, opts)
}

/** A string value from bytes as given (not valid UTF-8: the bytes are kept as they are). */
function stringNode(text: string | Uint8Array): Node {
  if (typeof text === 'string') return { kind: 'scalar', type: 'str', text }
  const buf = Buffer.from(text.buffer, text.byteOffset, text.byteLength)
  const s = buf.toString('utf8')
  return Buffer.from(s, 'utf8').equals(buf) ? { kind: 'scalar', type: 'str', text: s } : { kind: 'scalar', type: 'str', text: s, raw: Uint8Array.from(buf) }
}

const WRAP = '{"v": '

/**
 * Parses a `set` value given as JSON text with the order-preserving JSON format, typed as sops
 * types it: a number given alone is a float (sops decodes it with encoding/json into a float64:
 * `5` is stored `type:float` with plaintext `5`, big integers lose precision as in sops); numbers
 * inside an object keep sops' file rules (int within int64, else float); objects keep their key
 * order. A top-level array is refused, as sops does (exit 7). Throws InvalidSetValueError (never
 * quoting the value).
 */
export async function parseSetValue(text: string | Uint8Array): Promise<Node> {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text)
  const { jsonFormat } = await import('../../formats/json/index.js')
  let tree: Tree
  try {
    tree = jsonFormat.parse(Buffer.concat([Buffer.from(WRAP), body, Buffer.from('\n}')]))
  } catch (e) {
    // by code, not instanceof: the format is loaded lazily and may carry its own copy of errors.ts in tests
    if ((e as Partial<FormatError>).code === 'MALFORMED_INPUT') {
      const { line, column } = e as FormatError
      const where = line !== undefined ? ` (line ${line}${column !== undefined ? `, column ${line === 1 ? Math.max(1, column - WRAP.length) : column}` : ''})` : ''
      throw new InvalidSetValueError(`the value is not valid JSON${where}; strings need quotes, e.g. '"text"'`)
    }
    throw e
  }
  const entries = tree.branches[0]?.entries ?? []
  const only = entries[0]
  if (tree.notes?.length || entries.length !== 1 || only?.kind !== 'pair' || only.key !== 'v') throw new InvalidSetValueError('the value must be exactly one JSON value')
  const v = only.value
  if (v.kind === 'seq') throw new InvalidSetValueError('a JSON array cannot be set as a value (sops refuses it too): set its items one by one, e.g. \'["list"][0]\', or set an object that holds it')
  if (v.kind === 'scalar' && v.type === 'int') return { kind: 'scalar', type: 'float', text: formatFloatF(Number(v.text)) }
  return v
}
