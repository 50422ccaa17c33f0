/** Encrypt: plaintext bytes in a format → sops-encrypted bytes. */
import { loadFormat, withIndent, type FormatName } from '../../formats/index.js'
import { bytesLookEncrypted, holdsEncryptedValues } from '../../core/damaged.js'
import { sealTree } from '../../core/document.js'
import { compileSelectors, effectiveSelectors } from '../../core/selection.js'
import { leafSelection } from '../../core/tree-cipher.js'
import { assertNothingTolerated, assertStringKeys, noYamlDocument } from '../../core/plain-checks.js'
import { assertNoMetadata } from '../../core/metadata-layout.js'
import { AlreadyEncryptedError } from '../../errors.js'
import type { Recipient } from '../../keys/key-source.js'
import type { Selectors } from '../../core/selection.js'
import type { Tree } from '../../core/tree.js'
import { encryptedCodec } from './codec.js'
import { defined } from '../../defined.js'

export interface EncryptBytesOptions {
  inputFormat: FormatName
  /** Format of the output (defaults to the input format). */
  outputFormat?: FormatName
  groups: Recipient[][]
  threshold?: number
  selectors?: Selectors
  /** sops `--indent`: spaces per level of YAML/JSON output (formats/index.ts withIndent). */
  indent?: number
  now?: Date
}

const alreadyEncrypted = () =>
  new AlreadyEncryptedError('the file already holds encrypted values (ENC[AES256_GCM,…]): decrypt it first, or restore it from git (git checkout -- FILE) if it is a damaged sops file')

export async function encryptBytes(input: Uint8Array, opts: EncryptBytesOptions): Promise<Uint8Array> {
  const inFmt = await loadFormat(opts.inputFormat)
  const outFmt = await withIndent(await loadFormat(opts.outputFormat ?? opts.inputFormat), opts.indent)
  let plain: Tree
  try {
    plain = inFmt.parse(input)
  } catch (e) {
    if ((e as { code?: unknown }).code === 'MALFORMED_INPUT' && bytesLookEncrypted(input, false)) throw alreadyEncrypted()
    throw e
  }
  if (inFmt.name === 'yaml' && plain.branches.length === 0) throw noYamlDocument(input)
  if (inFmt.metadataLayout !== 'binary') assertNoMetadata(plain, inFmt.metadataLayout)
  assertStringKeys(plain)
  assertNothingTolerated(plain)
  // a damaged sops file (metadata cut off) encrypted again would bury its values under a second layer;
  // a look-alike that the selectors keep in clear is just text (sops encrypts such files too)
  if (holdsEncryptedValues(plain)) {
    const decide = compileSelectors(inFmt.name === 'binary' ? {} : effectiveSelectors(opts.selectors ?? {}))
    if (leafSelection(plain, decide).some((l) => l.sealed && l.selected)) throw alreadyEncrypted()
  }
  const tree = outFmt.name === inFmt.name ? plain : { branches: plain.branches }
  const sealed = await sealTree(tree, outFmt, {
    groups: opts.groups,
    ...defined({ threshold: opts.threshold }),
    ...defined({ selectors: opts.selectors }),
    ...defined({ now: opts.now }),
  })
  try {
    return (await encryptedCodec(outFmt)).emit(sealed.tree)
  } finally {
    sealed.dataKey.fill(0) // one-shot: nothing re-encrypts with this key later
  }
}
