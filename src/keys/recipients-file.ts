/**
 * age recipients files (`--age-recipients-file`, `age_recipients_file:`): one recipient
 * per line, `#` comments and blank lines skipped — the same shape as authorized_keys.
 *
 * Each line is checked here, and a bad one is reported as `path:line` only: a repository's
 * config can name any file (`~/.git-credentials`), so an error must not show its contents.
 */
import { readFileSync } from 'node:fs'
import { ReadError, RecipientError } from '../errors.js'
import { parseAgeRecipient } from './age.js'

/** The recipient lines of a recipients file's text, with their 1-based line numbers. */
export function recipientLines(text: string): Array<{ text: string; line: number }> {
  return text
    .split(/\r?\n/)
    .map((l, i) => ({ text: l.trim(), line: i + 1 }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'))
}

export function parseRecipientsText(text: string): string[] {
  return recipientLines(text).map((l) => l.text)
}

/**
 * The recipients a file lists. ReadError when it cannot be read; RecipientError naming only
 * `path:line` (never the line) when a line is not an age or SSH recipient.
 */
export function readRecipientsFile(path: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new ReadError(`cannot read recipients file ${path}`)
  }
  const lines = recipientLines(text)
  for (const l of lines) {
    try {
      parseAgeRecipient(l.text)
    } catch (e) {
      if (!(e instanceof RecipientError)) throw e
      throw new RecipientError(`${path}:${l.line}: not a valid age or SSH recipient (the line is not shown)`)
    }
  }
  return lines.map((l) => l.text)
}
