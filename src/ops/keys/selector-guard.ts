/**
 * Selector downgrade: the selectors in a file's metadata (which values get encrypted) are
 * not authenticated. Changing `unencrypted_suffix` into `unencrypted_regex: ^api_token$`
 * needs no key and keeps the MAC valid, and the next `set`/`edit` would write `api_token`
 * in clear. `check` and `status` compare a file's selectors with its creation rule's;
 * `set`/`edit` refuse to write in clear a value the previous version (the file as read,
 * or the last commit) kept encrypted or would have encrypted. Messages name selector
 * fields and key names only, never a selector's text (it is untrusted file content).
 */
import type { FormatName } from '../../formats/index.js'
import { loadConfigFor, matchRule } from '../../config/rules.js'
import type { CreationRule } from '../../config/schema.js'
import type { Metadata } from '../../core/metadata.js'
import { compileSelectors, effectiveSelectors, SELECTOR_KEYS, type Decide, type Selectors } from '../../core/selection.js'
import { hasClearLeaf, leafSelection } from '../../core/tree-cipher.js'
import type { Tree } from '../../core/tree.js'
import { SelectorDowngradeError } from '../../errors.js'
import { defined } from '../../defined.js'

const FIELDS = [...SELECTOR_KEYS, 'mac_only_encrypted'] as const

/** The selector fields (sops' default applied to both sides) that differ; [] when they agree. Binary files have no selectors. */
export function selectorDifferences(a: Selectors, b: Selectors, format: FormatName): string[] {
  if (format === 'binary') return []
  const x = effectiveSelectors(a)
  const y = effectiveSelectors(b)
  return FIELDS.filter((f) => (x[f] || undefined) !== (y[f] || undefined))
}

/** `check`: a one-line problem when a file's selectors differ from its creation rule's; undefined when they agree. */
export function ruleSelectorProblem(name: string, md: Metadata, rule: CreationRule, format: FormatName): string | undefined {
  const differs = selectorDifferences(md.selectors, rule.selectors, format)
  if (!differs.length) return undefined
  return `its selectors differ from creation_rules[${rule.index}] (${differs.join(', ')}): a changed selector can make the next set or edit write a secret in clear; if you did not change them restore the file (git checkout HEAD -- ${name}), else re-encrypt it with the rule's selectors`
}

/** `status`: the file's selectors against its creation rule: `null` when no rule applies or the config cannot be read. */
export function ruleSelectorStatus(abs: string, md: Metadata, format: FormatName, opts: { configPath?: string; env?: NodeJS.ProcessEnv } = {}): { rule: number; differs: string[] } | null {
  try {
    const cfg = loadConfigFor(abs, defined({ explicit: opts.configPath, env: opts.env }))
    const rule = cfg ? matchRule(cfg, abs) : null
    return rule ? { rule: rule.index, differs: selectorDifferences(md.selectors, rule.selectors, format) } : null
  } catch {
    return null // no config, no matching rule, invalid config: status reports the rule problem already
  }
}

/** A version of the file a write is compared with, loaded only when some value would be written in clear. */
export interface PreviousVersion {
  /** e.g. "the file as read", "the last commit" */
  label: string
  load: () => Promise<{ tree: Tree; metadata: Metadata } | undefined>
}

const showKeys = (keys: readonly string[]): string => keys.map((k) => `["${k}"]`).join('') || 'the top level'

function decideOf(s: Selectors): Decide | undefined {
  try {
    return compileSelectors(effectiveSelectors(s))
  } catch {
    return undefined // a selector of an older version that does not compile: its ENC values still count
  }
}

/**
 * Throws SelectorDowngradeError when `plain`, sealed with `selectors`, would hold in clear a
 * value that a previous version held encrypted (same document, keys and rank) or that the
 * previous version's own selectors would encrypt (catches a new key a changed selector exempts).
 */
export async function assertNoDowngrade(plain: Tree, selectors: Selectors, format: FormatName, previous: PreviousVersion[]): Promise<void> {
  if (format === 'binary') return
  const decide = compileSelectors(effectiveSelectors(selectors))
  if (!hasClearLeaf(plain, decide)) return
  const clear = leafSelection(plain, decide).filter((l) => !l.selected && !l.empty)
  if (!clear.length) return
  const hits = new Map<string, { keys: string[]; why: string }>()
  for (const p of previous) {
    const v = await p.load()
    if (!v) continue
    const sealed = new Set(leafSelection(v.tree, () => true).filter((l) => l.sealed).map((l) => l.id))
    let wouldSeal: Set<string> | undefined
    if (selectorDifferences(v.metadata.selectors, selectors, format).length) {
      const decide = decideOf(v.metadata.selectors)
      if (decide) wouldSeal = new Set(leafSelection(plain, decide).filter((l) => l.selected).map((l) => l.id))
    }
    for (const l of clear) {
      if (hits.has(l.id)) continue
      if (sealed.has(l.id)) hits.set(l.id, { keys: l.keys, why: `${p.label} held it encrypted` })
      else if (wouldSeal?.has(l.id)) hits.set(l.id, { keys: l.keys, why: `the selectors of ${p.label} encrypt it` })
    }
  }
  if (!hits.size) return
  const list = [...hits.values()]
  const names = [...new Set(list.map((h) => showKeys(h.keys)))]
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '')
  throw new SelectorDowngradeError(
    `refusing to write ${shown} in clear: ${list[0]!.why} (the file's selectors may have been tampered with: compare them with git); pass --allow-unencrypted if this is intended`,
  )
}
