/**
 * An identity as `doctor` finds it, before it is numbered in the report: its public facts and,
 * when usable, the Identity to try on the file's entries. Its own module because each identity
 * source (age.ts, identities.ts) makes candidates and identities.ts gathers them.
 */
import type { Identity, KeyEntry } from '../../keys/key-source.js'
import type { FoundIdentity } from './report.js'

/** An identity before numbering: public facts, and (when usable) the Identity to try on entries. */
export interface Candidate {
  info: Omit<FoundIdentity, 'n' | 'matches'>
  trial?: Identity
  /** Restricts the entries tried (a locked key is tried only on entries naming it, so it never prompts needlessly). */
  accepts?: (e: KeyEntry) => boolean
}
