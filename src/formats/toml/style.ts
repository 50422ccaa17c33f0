/**
 * The `style` records the TOML format stashes on trees and nodes at parse time,
 * so that `emit` can splice changed values into the original source text.
 */
import type { Comment, Mapping, Node, ScalarType, Tree } from '../../core/tree.js'

/** How a string value was quoted in the source. */
export type StringForm = 'basic' | 'literal' | 'ml-basic' | 'ml-literal'

/** What a container was in the source (drives the full writer's choices too). */
export type ContainerKind = 'root' | 'table' | 'implicit' | 'dotted' | 'inline' | 'array' | 'tables'

/** A table-level source element (key/value, table header, comment) with the top-level key owning it. */
export interface LineElement {
  readonly start: number
  readonly end: number
  /** The top-level key whose subtree holds the element; `null` for comments directly in the root table. */
  readonly top: string | null
  readonly header: boolean
}

/** `Tree.style` of a parsed TOML document. */
export interface TomlDocInfo {
  readonly format: 'toml'
  readonly docId: number
  /** Source text without BOM. */
  readonly source: string
  readonly bom: boolean
  /** Line ending used for appended text. */
  readonly eol: string
  /** Number of styled nodes (root included). */
  readonly slotCount: number
  /** Styled nodes per top-level key (the pair's value and everything below it). */
  readonly topSlots: ReadonlyMap<string, number>
  readonly elements: readonly LineElement[]
}

/** `style` of every node and comment of a parsed TOML document. */
export interface TomlNodeStyle {
  readonly format: 'toml'
  readonly docId: number
  readonly id: number
  /** Id of the containing Mapping/Sequence, -1 for the root. */
  readonly parent: number
  /** Pair key in the parent Mapping; `null` in sequences, for comments and the root. */
  readonly key: string | null
  /** Top-level key owning this node (set after the tree is built). */
  top: string | null
  kind?: ContainerKind
  /** Source span of a scalar value or a comment (`#` included). */
  readonly start?: number
  readonly end?: number
  /** Original (type, text) of a scalar, or original text of a comment. */
  readonly type?: ScalarType
  readonly text?: string
  readonly form?: StringForm
  /** Newline right after the opening `"""`/`'''` of a multi-line string ('' if none). */
  readonly lead?: string
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** The TOML document info of a tree, if it was parsed by this format. */
export function docInfoOf(tree: Tree): TomlDocInfo | undefined {
  const s = tree.style
  return isObj(s) && s.format === 'toml' && typeof s.docId === 'number' && typeof s.source === 'string'
    ? (s as unknown as TomlDocInfo)
    : undefined
}

/** The TOML style of a node or comment (any document), if any. */
export function tomlStyleOf(n: Node | Comment): TomlNodeStyle | undefined {
  const s = n.style
  return isObj(s) && s.format === 'toml' && typeof s.id === 'number' ? (s as unknown as TomlNodeStyle) : undefined
}

/** The style of a node, only when it belongs to document `docId`. */
export function slotOf(n: Node | Comment, docId: number): TomlNodeStyle | undefined {
  const s = tomlStyleOf(n)
  return s && s.docId === docId ? s : undefined
}

/** True for the kind hint of a Mapping that was an inline table in its source. */
export const wasInline = (m: Mapping): boolean => tomlStyleOf(m)?.kind === 'inline'
