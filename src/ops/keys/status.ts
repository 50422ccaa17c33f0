/**
 * `status`: what a file is, without any key: encrypted or not, its format, its key
 * groups (recipients, fingerprints), threshold, lastmodified, and whether its
 * recipients match its creation rule (the diff `updatekeys` would apply). Recipients
 * the config names (`recipients:`) carry their name.
 */
import { resolve } from 'node:path'
import { loadFormat, type FormatName } from '../../formats/index.js'
import { readInput } from '../../io/read.js'
import { pickFormat } from '../crypt/codec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { describeError } from './batch.js'
import { planUpdateKeys } from './updatekeys.js'
import { formatDiff, refOfEntry } from './recipient-diff.js'
import { ruleSelectorStatus } from './selector-guard.js'
import { recipientNamesFor } from '../../config/rules.js'
import { defined } from '../../defined.js'
import { explicitConfig } from '../../config/find.js'

export interface StatusRecipient {
  type: string
  id: string
  /** The config's name for this recipient, if it gives one. */
  name?: string
  createdAt?: string
}

export interface FileStatus {
  path: string
  encrypted: boolean
  format: FormatName
  /** One list per key group. */
  keyGroups?: StatusRecipient[][]
  shamirThreshold?: number
  lastmodified?: string
  version?: string
  /** true / false against the creation rule; null when no rule applies (reason in `rule`). */
  matchesRule?: boolean | null
  /** `+++`/`---` lines when it does not match. */
  ruleDiff?: string[]
  /** Why there is no rule verdict (no config, no matching rule, …). */
  rule?: string
  /** The file's selectors (which values are encrypted) against its rule's; null when no rule applies. */
  selectorsMatchRule?: boolean | null
  /** The selector fields that differ (names only) when they do not match. */
  selectorDiff?: string[]
}

export interface StatusOptions {
  cwd?: string
  inputType?: string
  configPath?: string
  env?: NodeJS.ProcessEnv
}

/** Status of one file. Throws only when the file cannot be read or parsed at all. */
export async function fileStatus(file: string, opts: StatusOptions = {}): Promise<FileStatus> {
  const abs = resolve(opts.cwd ?? process.cwd(), file)
  const format = await loadFormat(pickFormat(abs, opts.inputType))
  const bytes = readInput(abs)
  let parsed
  try {
    parsed = await parseEncrypted(bytes, format.name)
  } catch (e) {
    if (describeError(e).code === 'NOT_ENCRYPTED') return { path: file, encrypted: false, format: format.name }
    throw e
  }
  const md = parsed.metadata
  const nameOf = recipientNamesFor(abs, defined({ explicit: opts.configPath, env: opts.env }))
  const st: FileStatus = {
    path: file,
    encrypted: true,
    format: format.name,
    keyGroups: md.keyGroups.map((g) => g.map((e) => ({ ...refOfEntry(e), ...named(nameOf(refOfEntry(e))), ...defined({ createdAt: e.fields.created_at || undefined }) }))),
    lastmodified: md.lastmodified,
    version: md.version,
  }
  if (md.shamirThreshold) st.shamirThreshold = md.shamirThreshold
  try {
    const plan = await planUpdateKeys(file, opts)
    st.matchesRule = plan.action === 'up-to-date'
    if (!st.matchesRule) st.ruleDiff = formatDiff(plan.diff, nameOf)
  } catch (e) {
    st.matchesRule = null
    st.rule = describeError(e).message
  }
  const sel = ruleSelectorStatus(abs, md, format.name, defined({ configPath: explicitConfig(opts.cwd ?? process.cwd(), opts.configPath), env: opts.env }))
  st.selectorsMatchRule = sel ? !sel.differs.length : null
  if (sel?.differs.length) st.selectorDiff = sel.differs
  return st
}

const named = (name: string | undefined): { name?: string } => (name ? { name } : {})
