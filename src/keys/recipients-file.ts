/**
 * age recipients files (`--age-recipients-file`, `age_recipients_file:`): one recipient
 * per line, `#` comments and blank lines skipped — the same shape as authorized_keys.
 */
import { readFileSync } from 'node:fs'
import { ReadError } from '../errors.js'

export function parseRecipientsText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
}

export function readRecipientsFile(path: string): string[] {
  try {
    return parseRecipientsText(readFileSync(path, 'utf8'))
  } catch {
    throw new ReadError(`cannot read recipients file ${path}`)
  }
}
