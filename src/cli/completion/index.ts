/** Completion scripts for bash, zsh and fish, generated from the commander program. */
import type { Command } from 'commander'
import { bashScript } from './bash.js'
import { fishScript } from './fish.js'
import { commandSpec } from './spec.js'
import { zshScript } from './zsh.js'

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

export function completionScript(program: Command, shell: Shell): string {
  const spec = commandSpec(program)
  const bin = program.name()
  return shell === 'bash' ? bashScript(spec, bin) : shell === 'zsh' ? zshScript(spec, bin) : fishScript(spec, bin)
}
