/**
 * The one interface every file format implements. A format turns bytes into the
 * neutral tree and back; it never sees keys, ciphers or the metadata type: the
 * `sops` block is just another subtree to it, placed by `src/core/metadata-layout.ts`.
 */
import type { Node, Tree } from './tree.js'

export type FormatName = 'yaml' | 'json' | 'dotenv' | 'ini' | 'toml' | 'binary'

/**
 * Where the `sops` metadata lives in this format (sops' flatten modes):
 * - `nested`: a top-level `sops` map (YAML, JSON, TOML; in every YAML document)
 * - `section`: flattened keys inside a last `[sops]` section (INI)
 * - `prefixed`: flattened top-level keys prefixed `sops_` (dotenv)
 * - `binary`: `{data, sops}` JSON envelope around the whole file
 */
export type MetadataLayout = 'nested' | 'section' | 'prefixed' | 'binary'

export interface Format {
  readonly name: FormatName
  readonly metadataLayout: MetadataLayout
  /** sops `--indent` this format writes with, when not its default (binary: for its JSON envelope). */
  readonly indent?: number
  /** Parse file bytes. Throws `FormatError` (line/column only, never input text). */
  parse(input: Uint8Array): Tree
  /** Emit a tree; deterministic; byte-for-byte with sops where docs/format.md says so. Throws `EmitError`. */
  emit(tree: Tree): Uint8Array
  /** Emit one extracted value (`decrypt --extract`): strings raw, others in this format's single-value form. */
  emitValue(node: Node): Uint8Array
}
