/**
 * The command tree as shell functions that bash and zsh share (both read `case` and
 * `printf`): for a command path (`''`, `'git'`, `'git hook'`) they print its
 * subcommands, options, value-taking options and an option's choices.
 */
import { walk, type CommandSpec } from './spec.js'

/** Single-quotes a word for sh (bash, zsh). */
export const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** `printf '%s\n' 'a' 'b'`, or `:` for no lines. */
const printLines = (lines: string[]): string => (lines.length ? `printf '%s\\n' ${lines.map(sq).join(' ')}` : ':')

/** A function of one command path: `case "$1" in 'path') body ;; esac`. */
function byPath(name: string, root: CommandSpec, body: (spec: CommandSpec) => string[]): string {
  const all = [{ path: [] as string[], spec: root }, ...walk(root)]
  const arms = all.flatMap(({ path, spec }) => {
    const lines = body(spec)
    return lines.length ? [`    ${sq(path.join(' '))}) ${printLines(lines)} ;;`] : []
  })
  return [`${name}() {`, '  case "$1" in', ...arms, '  esac', '}'].join('\n')
}

/** The shared functions, prefixed `fn` (e.g. `_sops_like`). */
export function shDataFunctions(fn: string, root: CommandSpec): string {
  const all = [{ path: [] as string[], spec: root }, ...walk(root)]
  // resolve "$path" "$word": the new path when the word is a subcommand (or alias) there
  const arms = all.flatMap(({ path, spec }) =>
    spec.commands.flatMap((c) => [c.name, ...c.aliases].map((w) => `    ${sq(`${path.join(' ')}|${w}`)}) printf '%s\\n' ${sq([...path, c.name].join(' '))} ;;`)),
  )
  const resolve = [`${fn}_resolve() {`, '  case "$1|$2" in', ...arms, '  esac', '}'].join('\n')
  const choiceArms = all.flatMap(({ path, spec }) =>
    spec.options.filter((o) => o.choices).flatMap((o) => o.names.map((n) => `    ${sq(`${path.join(' ')}|${n}`)}) printf '%s\\n' ${sq(o.choices!.join(' '))} ;;`)),
  )
  const choices = [`${fn}_choices() {`, '  case "$1|$2" in', ...choiceArms, '  esac', '}'].join('\n')
  return [
    resolve,
    byPath(`${fn}_subcommands`, root, (s) => (s.commands.length ? [s.commands.flatMap((c) => [c.name, ...c.aliases]).join(' ')] : [])),
    byPath(`${fn}_options`, root, (s) => [s.options.flatMap((o) => o.names).join(' ')]),
    byPath(`${fn}_value_options`, root, (s) => {
      const names = s.options.filter((o) => o.takesValue).flatMap((o) => o.names)
      return names.length ? [names.join(' ')] : []
    }),
    choices,
    byPath(`${fn}_arg_choices`, root, (s) => (s.argChoices ? [s.argChoices.join(' ')] : [])),
  ].join('\n\n')
}

/** zsh `_describe` lines (`name:description`) for the subcommands and the options of each path. */
export function zshDescribeFunctions(fn: string, root: CommandSpec): string {
  const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/:/g, '\\:')
  return [
    byPath(`${fn}_subcommand_descs`, root, (s) => s.commands.map((c) => `${esc(c.name)}:${c.description}`)),
    byPath(`${fn}_option_descs`, root, (s) => s.options.flatMap((o) => o.names.map((n) => `${esc(n)}:${o.description}`))),
  ].join('\n\n')
}
