/**
 * Exposure: which key NAMES (never values) a recipient could read. Derived from the
 * encrypted tree alone (no decryption): every leaf holding an `ENC[...]` value that the
 * file's selectors encrypt (a value in clear under `unencrypted_*` was never a secret).
 * With git, every blob that ever existed in the history is checked too.
 */
import { spawn } from 'node:child_process'
import { relative, resolve } from 'node:path'
import { formatForPath } from '../../formats/index.js'
import { isEncrypted } from '../../core/cipher.js'
import type { Mapping, Node, Tree } from '../../core/tree.js'
import { compileSelectors, effectiveSelectors, type Selectors } from '../../core/selection.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { hasRecipient, refOfEntry, type RecipientRef } from './recipient-diff.js'
import { defined } from '../../defined.js'

/** Every leaf with its display path (`db.password`, `hosts[0]`) and its map keys, in document order. */
export function leaves(tree: Tree, each: (n: Node & { kind: 'scalar' }, path: string, keys: readonly string[]) => void): void {
  const visit = (n: Node, path: string, keys: string[]): void => {
    if (n.kind === 'scalar') { each(n, path, keys); return }
    if (n.kind === 'map') {
      for (const e of n.entries) if (e.kind === 'pair') visit(e.value, path ? `${path}.${e.key}` : e.key, [...keys, e.key])
      return
    }
    let i = 0
    for (const it of n.items) if (it.kind !== 'comment') visit(it, `${path}[${i++}]`, keys)
  }
  for (const b of tree.branches) visit(b as Mapping, '', [])
}

/**
 * Leaf paths of encrypted values, like `db.password`, `hosts[0]`, in document order, without
 * duplicates. With the file's `selectors`, a leaf its key-based `unencrypted_*` /
 * `encrypted_*` rules leave in clear is skipped even if its text looks like `ENC[…]`.
 */
export function encryptedKeyNames(tree: Tree, selectors?: Selectors): string[] {
  return [...encryptedValues(tree, selectors).keys()]
}

/**
 * The same leaves with their `ENC[…]` text (first occurrence of a path wins): what the key-less
 * history reports (src/ops/report/history*.ts) compare from one revision to the next.
 */
export function encryptedValues(tree: Tree, selectors?: Selectors): Map<string, string> {
  const out = new Map<string, string>()
  let decide: ((keys: readonly string[]) => boolean) | undefined
  if (selectors) {
    try {
      const { unencrypted_comment_regex: _u, encrypted_comment_regex: _e, ...byKey } = effectiveSelectors(selectors)
      const d = compileSelectors(byKey)
      decide = (keys) => d(keys, [], false)
    } catch { /* an unusable selector: judge by the text alone */ }
  }
  leaves(tree, (n, path, keys) => {
    if (n.type === 'str' && isEncrypted(n.text) && !out.has(path) && (!decide || decide(keys))) out.set(path, n.text)
  })
  return out
}

/** Runs git with an argv (no shell); resolves stdout, rejects on a non-zero exit. */
export function git(args: string[], cwd: string, opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Buffer> {
  return new Promise((resolveP, reject) => {
    const child = spawn('git', args, { cwd, env: { ...(opts.env ?? process.env), GIT_OPTIONAL_LOCKS: '0' }, stdio: ['pipe', 'pipe', 'ignore'] })
    const chunks: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolveP(Buffer.concat(chunks)) : reject(new Error(`git ${args[0]} exited with ${code}`))))
    child.stdin.on('error', () => { /* git may exit before reading everything */ })
    child.stdin.end(opts.input ?? '')
  })
}

/** The repository's top folder, or null outside a git work tree (or without git). */
export async function gitTopLevel(cwd: string, env?: NodeJS.ProcessEnv): Promise<string | null> {
  try {
    return (await git(['rev-parse', '--show-toplevel'], cwd, defined({ env }))).toString('utf8').trim() || null
  } catch {
    return null
  }
}

/** Blobs bigger than this are not sops files worth reading. */
const MAX_BLOB = 16 * 1024 * 1024

/**
 * Every key name that any revision of any file in the git history held while `who`
 * could read it (the revision's metadata lists them). Paths are relative to `cwd`.
 * Returns null outside a git repository.
 */
export async function historyExposure(cwd: string, who: RecipientRef | readonly RecipientRef[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Map<string, string[]> | null> {
  return (await historyScan(cwd, Array.isArray(who) ? who : [who as RecipientRef], opts))?.names ?? null
}

/** A revision of a file that listed the recipient. */
export interface ReadableBlob {
  sha: string
  /** Path relative to the repository's top (where the blob first appeared). */
  path: string
  bytes: Buffer
  /** Its encrypted key names (see encryptedKeyNames). */
  keys: string[]
}

export interface HistoryScan {
  top: string
  /** Key names per path (relative to `cwd`) over every revision readable by the recipient. */
  names: Map<string, string[]>
  /** Every such revision, by blob id. */
  blobs: Map<string, ReadableBlob>
}

/** Walks every object reachable from any ref for revisions encrypted to any of `who`. Null outside git. */
export async function historyScan(cwd: string, who: readonly RecipientRef[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<HistoryScan | null> {
  const top = await gitTopLevel(cwd, opts.env)
  if (!top) return null
  const readable = new Map<string, ReadableBlob>()
  const g = (args: string[], input?: string) => git(args, top, defined({ env: opts.env, input }))
  // every object reachable from any ref, blobs with the path they first appeared at
  let listing: string
  try {
    listing = (await g(['rev-list', '--all', '--objects'])).toString('utf8')
  } catch {
    return { top, names: new Map(), blobs: readable } // a repository without commits
  }
  const named = new Map<string, string>()
  for (const line of listing.split('\n')) {
    const sp = line.indexOf(' ')
    if (sp === 40 || sp === 64) named.set(line.slice(0, sp), line.slice(sp + 1))
  }
  const shas = [...named.keys()]
  const check = (await g(['cat-file', '--batch-check'], shas.join('\n') + '\n')).toString('utf8').split('\n')
  const blobs = check.map((l) => l.split(' ')).filter((p) => p[1] === 'blob' && Number(p[2]) <= MAX_BLOB).map((p) => p[0]!)
  const out = new Map<string, string[]>()
  if (!blobs.length) return { top, names: out, blobs: readable }
  const data = await g(['cat-file', '--batch'], blobs.join('\n') + '\n')
  let off = 0
  while (off < data.length) {
    const nl = data.indexOf(0x0a, off)
    if (nl < 0) break
    const [sha, type, size] = data.subarray(off, nl).toString('utf8').split(' ')
    const len = Number(size)
    const body = data.subarray(nl + 1, nl + 1 + (type === 'missing' ? 0 : len))
    off = nl + 1 + (type === 'missing' ? 0 : len + 1)
    const path = named.get(sha ?? '')
    if (type !== 'blob' || !path || body.indexOf('sops') < 0) continue
    try {
      const { tree, metadata } = await parseEncrypted(body, formatForPath(path))
      const groups = metadata.keyGroups.map((gr) => gr.map(refOfEntry))
      if (!who.some((w) => hasRecipient(groups, w))) continue
      const rel = relative(cwd, resolve(top, path)) || path
      const names = out.get(rel) ?? []
      const keys = encryptedKeyNames(tree, metadata.selectors)
      for (const k of keys) if (!names.includes(k)) names.push(k)
      out.set(rel, names)
      readable.set(sha!, { sha: sha!, path, bytes: Buffer.from(body), keys })
    } catch {
      continue // not a sops file in this revision
    }
  }
  return { top, names: out, blobs: readable }
}
