/**
 * `edit`: decrypt a file into a private temp file, let the user's editor change it,
 * then re-encrypt with the same data key (unchanged values keep their exact
 * `ENC[...]` text) and write atomically. A file that does not exist yet starts from
 * a small template and is encrypted to the recipients of its creation rule.
 * rewrite-guard may refuse (selector downgrade) or rotate the key (swapped since HEAD).
 *
 * Unchanged bytes → FileNotModifiedError (200), nothing written. Edited text that cannot
 * be saved (does not parse, exceeds a limit, or the write fails) → `onInvalid` decides
 * whether to reopen the editor on the user's edited text; otherwise the error is thrown
 * with a hint that the edits were discarded, and nothing is written. The temp folder goes
 * away on every path out, crashes included (src/ops/edit/editor.ts). A read-only target is
 * refused before the editor opens unless `force` (src/io/in-place.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { loadFormat, withIndent, type Format } from '../../formats/index.js'
import { newDataKey, wrapDataKey } from '../../core/data-key.js'
import type { OpenedDocument } from '../../core/document.js'
import { SOPS_FORMAT_VERSION, type Metadata } from '../../core/metadata.js'
import { assertNoMetadata } from '../../core/metadata-layout.js'
import { effectiveSelectors } from '../../core/selection.js'
import { IvStash } from '../../core/tree-cipher.js'
import { assertNothingTolerated, assertStringKeys, noYamlDocument } from '../../core/plain-checks.js'
import { FileNotModifiedError, ReadError, WriteError, type SopsLikeError } from '../../errors.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { assertInPlaceTarget } from '../../io/in-place.js'
import { readInput } from '../../io/read.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { pickFormat } from '../crypt/codec.js'
import { openBytes } from '../crypt/decrypt.js'
import { newFileTemplate } from './templates.js'
import { editorCommand, runEditor, writePrivateTemp } from './editor.js'
import { checkRewriteRecipients } from '../keys/recipient-policy.js'
import { resolveRecipients, type RecipientOptions } from '../crypt/recipients.js'
import { guardRewrite, type RewriteGuard, type RewriteGuardOptions } from '../keys/rewrite-guard.js'
import { explicitConfig } from '../../config/find.js'
import { defined } from '../../defined.js'

export interface EditOptions extends IdentityOptions, Omit<RecipientOptions, 'env' | 'cwd'>, RewriteGuardOptions {
  /** Format of the file (default: from its name). */
  inputType?: string
  /** Folder relative paths are resolved against. */
  cwd?: string
  identities?: Identity[]
  /** Editor argv (the file is appended); default: $SOPS_EDITOR, $VISUAL, $EDITOR, vi, nano. */
  editor?: string[]
  /**
   * The edited text cannot be saved (syntax error, empty YAML, a top-level `sops` key,
   * a value the format cannot hold, a size limit, a failed write). Resolve true to reopen
   * the editor on the edited text, false to give up (the edits are then discarded).
   */
  onInvalid?: (error: SopsLikeError) => Promise<boolean>
  /** Save even if the file lists recipients its creation rule does not (else UnlistedRecipientError; see recipient-policy.ts). */
  keepUnlisted?: boolean
  /** Rewrite a read-only (no owner write) file too (ReadOnlyFileError otherwise). */
  force?: boolean
  /** sops `--indent`: spaces per level of YAML/JSON (the text in the editor and the file written). */
  indent?: number
  now?: Date
}

export interface EditFileResult {
  /** The file did not exist and was created. */
  created: boolean
}

/**
 * Errors in the edited text that the user can fix by editing again (syntax, empty YAML,
 * a `sops` key, a value the format cannot hold, a value that cannot be encrypted).
 * Matched by code: formats are loaded lazily, and some test runners give them their own copy of errors.ts.
 */
const FIXABLE = new Set(['MALFORMED_INPUT', 'EMPTY_DOCUMENT', 'ALREADY_ENCRYPTED', 'EMIT_FAILED', 'ENCRYPT_FAILED', 'SELECTOR_DOWNGRADE', 'LIMIT_EXCEEDED', 'WRITE_FAILED'])
const isFixable = (e: unknown): e is SopsLikeError => e instanceof Error && FIXABLE.has(String((e as { code?: unknown }).code))

interface Start { base: OpenedDocument; plain: Uint8Array; asRead?: Uint8Array }

async function openExisting(abs: string, format: Format, opts: EditOptions & { fileName?: string }): Promise<Start> {
  const asRead = readInput(abs)
  const base = await openBytes(asRead, { ...opts, inputFormat: format.name })
  return { base, plain: format.emit(base.tree), asRead }
}

/** A new document: data key wrapped to the creation rule's recipients now, so key problems show before editing. */
async function prepareNew(abs: string, format: Format, opts: EditOptions): Promise<Start> {
  try {
    if (!statSync(dirname(abs)).isDirectory()) throw new Error('not a folder')
  } catch {
    throw new WriteError(`cannot create ${abs}: its folder does not exist`)
  }
  const cwd = opts.cwd ?? process.cwd()
  const keys = await resolveRecipients(abs, { ...opts, ...defined({ configPath: explicitConfig(cwd, opts.configPath) }) })
  const dataKey = newDataKey()
  const wrapped = await wrapDataKey(dataKey, keys.groups, keys.threshold)
  const metadata: Metadata = {
    keyGroups: wrapped.keyGroups,
    lastmodified: '',
    mac: '',
    version: SOPS_FORMAT_VERSION,
    selectors: format.name === 'binary' ? {} : effectiveSelectors(keys.selectors),
    extra: [],
  }
  if (wrapped.shamirThreshold) metadata.shamirThreshold = wrapped.shamirThreshold
  return { base: { tree: { branches: [] }, metadata, dataKey, stash: new IvStash() }, plain: newFileTemplate(format.name) }
}

/** Parses the edited plaintext and re-encrypts it (with the document's data key unless the guard rotates it). */
async function sealEdited(edited: Uint8Array, format: Format, guard: RewriteGuard, now?: Date): Promise<Uint8Array> {
  const tree = format.parse(edited)
  if (format.name === 'yaml' && tree.branches.length === 0) throw noYamlDocument(edited)
  if (format.metadataLayout !== 'binary') assertNoMetadata(tree, format.metadataLayout)
  assertStringKeys(tree) // as sops' edit: a key like `1:` or `true:` cannot be encrypted
  assertNothingTolerated(tree)
  return guard.seal(tree, now)
}

function readEdited(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ReadError(`cannot read the edited temporary file${code ? ` (${code})` : ''}; nothing was written`)
  }
}

/** Edits an encrypted file (or creates one) in the user's editor. */
export async function editFile(file: string, opts: EditOptions = {}): Promise<EditFileResult> {
  const env = opts.env ?? process.env
  const cwd = opts.cwd ?? process.cwd()
  const abs = resolve(cwd, file)
  assertInPlaceTarget(abs, { refuseReadOnly: !opts.force })
  const format = await withIndent(await loadFormat(pickFormat(abs, opts.inputType)), opts.indent)
  const argv = opts.editor ?? editorCommand(env)
  const created = !existsSync(abs)
  const { base, plain, asRead } = created ? await prepareNew(abs, format, { ...opts, env }) : await openExisting(abs, format, { ...opts, env, fileName: file })
  if (!created) await checkRewriteRecipients(file, abs, base.metadata.keyGroups, { ...opts, env, cwd })
  const guard = await guardRewrite(abs, asRead, format, base, { ...opts, env }) // selector downgrade, key swap (rotates)
  const tmp = writePrivateTemp(basename(abs), plain, env)
  try {
    for (;;) {
      await runEditor(argv, tmp.file, { env, cwd })
      const edited = readEdited(tmp.file)
      if (Buffer.from(plain).equals(edited)) throw new FileNotModifiedError('the file has not changed; nothing was written')
      try {
        writeFileAtomic(abs, await sealEdited(edited, format, guard, opts.now))
      } catch (e) {
        if (isFixable(e) && opts.onInvalid && (await opts.onInvalid(e))) continue // the temp file still holds the edits
        if (e instanceof Error && typeof (e as SopsLikeError).code === 'string') {
          const typed = e as SopsLikeError // by code: formats may carry their own copy of errors.ts
          typed.hint = `${typed.hint ? `${typed.hint}; ` : ''}your edits were discarded, ${file} was not changed`
        }
        throw e
      }
      return { created }
    }
  } finally {
    tmp.dispose()
  }
}
