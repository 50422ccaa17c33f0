/**
 * Removal of a private folder even when this process dies in a way no handler sees (SIGKILL,
 * the out-of-memory killer, a V8 heap-limit abort): a small detached Node process holds the
 * read end of a pipe whose write end only this process has. However this process ends, the
 * kernel closes that end; the watcher reads end-of-file, removes the folder and exits.
 * `stop()` (after the folder was removed normally) ends it the same way.
 *
 * The folder is one of src/io/private-temp.ts, inside our 0700 base, so no one else can put
 * a link in its place before the watcher removes it. Best effort: when the watcher cannot
 * start, the exit handlers and the next run's sweep remain. It runs detached (its own
 * session, no terminal), with an empty environment and no output.
 */
import { spawn } from 'node:child_process'

const SCRIPT = [
  "const fs = require('fs'), dir = process.argv[1]",
  "const done = () => { try { fs.rmSync(dir, { recursive: true, force: true }) } catch {} process.exit(0) }",
  "process.stdin.on('data', () => {}); process.stdin.on('end', done); process.stdin.on('error', done); process.stdin.on('close', done)",
].join('\n')

/** Starts the watcher for `dir`; returns `stop` (idempotent). Never throws. */
export function removeWhenProcessDies(dir: string): () => void {
  try {
    const child = spawn(process.execPath, ['-e', SCRIPT, dir], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ELECTRON_RUN_AS_NODE: '1' }, // Electron hosts: behave as node; and no NODE_OPTIONS from our environment
      windowsHide: true,
    })
    child.on('error', () => { /* could not start: the other safeguards remain */ })
    const stdin = child.stdin
    stdin?.on('error', () => { /* the watcher is gone */ })
    child.unref()
    ;(stdin as unknown as { unref?: () => void } | null)?.unref?.() // never keep this process alive
    return () => { try { stdin?.end() } catch { /* closed */ } }
  } catch {
    return () => {}
  }
}
