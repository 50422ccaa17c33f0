/**
 * sops' spellings → ours, so scripts and fingers that call `sops` work with `sops-like`:
 * `-d/-e/-r FILE`, `--set '["k"] "v"' FILE`, a bare `FILE` (edit), `exec-env`, `exec-file`,
 * `/dev/stdin`. A pure argv rewrite before commander parses, so the commands stay declarative
 * and start-up pays nothing. Where we deliberately differ, a UsageError says what to type.
 */
import { ConflictingOptionsError, UsageError } from '../errors.js'

/** Our command names (and commander's own): argv starting with one of these is ours already. */
const OURS = new Set([
  'encrypt', 'decrypt', 'keygen', 'edit', 'set', 'unset', 'rotate', 'updatekeys', 'offboard', 'status', 'filestatus',
  'run', 'example', 'get', 'import-dotenvx', 'textconv', 'git', 'check', 'access', 'doctor', 'completion', 'help', 'groups',
  'history', 'age-report',
])

/** Flags (sops' and ours) that take a value as the next argument, so that value is not taken for the file. */
const TAKES_VALUE = new Set([
  '--input-type', '--output-type', '--output', '-o', '--extract', '--set', '-a', '--age', '-p', '--pgp', '-k', '--kms',
  '--gcp-kms', '--azure-kv', '--hc-vault-transit', '--encryption-context', '--aws-profile', '--config', '--filename-override',
  '--unencrypted-suffix', '--encrypted-suffix', '--unencrypted-regex', '--encrypted-regex', '--unencrypted-comment-regex',
  '--encrypted-comment-regex', '--shamir-secret-sharing-threshold', '--indent', '--decryption-order', '--keyservice',
  '--pgp-key-file', '--age-recipients-file', '--add-age', '--rm-age', '--add-pgp', '--rm-pgp', '--add-kms', '--rm-kms',
  '--add-hc-vault-transit', '--rm-hc-vault-transit', '--add-gcp-kms', '--rm-gcp-kms', '--add-azure-kv', '--rm-azure-kv',
  '--filename', '--user',
])

/** sops flags we do not have, and what to type instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  '--keyservice': 'sops-like has no key service client; decrypt where the key is',
  '--enable-local-keyservice': 'sops-like has no key service; drop the flag',
  '--user': 'run it as that user instead, e.g. sudo -u USER sops-like run …',
  '--background': 'put the command in the background yourself (… &)',
  '--same-process': 'sops-like always runs the command as a child; drop the flag',
  '--verbose': 'drop the flag (SOPS_LIKE_DEBUG=1 prints details of an error)',
}

const flagName = (a: string): string => (a.startsWith('--') && a.includes('=') ? a.slice(0, a.indexOf('=')) : a)
const isFlag = (a: string): boolean => a.length > 1 && a.startsWith('-')

function refuseUnsupported(args: readonly string[]): void {
  for (const a of args) {
    if (a === '--') break
    const why = UNSUPPORTED[flagName(a)]
    if (why) throw new UsageError(`${flagName(a)} is a sops flag sops-like does not support: ${why}`)
  }
}

/** Splits argv into flags (with their values) and positionals; everything after `--` is positional. */
function split(args: readonly string[]): { flags: string[]; positionals: string[] } {
  const flags: string[] = []
  const positionals: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '--') { positionals.push(...args.slice(i + 1)); break }
    if (isFlag(a)) {
      flags.push(a)
      if (!a.includes('=') && TAKES_VALUE.has(a) && i + 1 < args.length) flags.push(args[++i]!)
    } else positionals.push(a)
  }
  return { flags, positionals }
}

/** `flags` without `name` (`--name V` or `--name=V`). */
function dropFlag(flags: readonly string[], name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === name) { i++; continue }
    if (flags[i]!.startsWith(`${name}=`)) continue
    out.push(flags[i]!)
  }
  return out
}

/** `/dev/stdin` is read as `-` (standard input, bounded) rather than opened as a device. */
const stdinName = (f: string): string => (f === '/dev/stdin' ? '-' : f)

/** `--set '["a"][0] "v"'`: the path (brackets) and the JSON value after it. */
export function splitSetArg(arg: string): [path: string, value: string] {
  const m = /^\s*((?:\[\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?\d+)\s*\])+)\s+([\s\S]+)$/.exec(arg)
  if (!m) throw new UsageError('--set takes a path and a JSON value in one argument, e.g. --set \'["db"]["port"] 5432\' (or: sops-like set FILE PATH VALUE)')
  return [m[1]!, m[2]!.trim()]
}

/** Takes `--set V` / `--set=V` out of flags; returns the value or undefined. */
function takeSet(flags: string[]): string | undefined {
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === '--set') return flags.splice(i, 2)[1]
    if (flags[i]!.startsWith('--set=')) return flags.splice(i, 1)[0]!.slice('--set='.length)
  }
  return undefined
}

const MODES: Readonly<Record<string, string>> = { '-d': 'decrypt', '--decrypt': 'decrypt', '-e': 'encrypt', '--encrypt': 'encrypt', '-r': 'rotate', '--rotate': 'rotate' }

/** sops' top level: `[-d|-e|-r|--set V] [flags] FILE`, else edit. */
function topLevel(args: readonly string[]): string[] {
  refuseUnsupported(args)
  const { flags, positionals } = split(args)
  const modes = [...new Set(flags.filter((f) => MODES[f]).map((f) => MODES[f]!))]
  const rest = flags.filter((f) => !MODES[f])
  const setArg = takeSet(rest)
  if (setArg !== undefined) modes.push('set')
  if (modes.length > 1) throw new ConflictingOptionsError(`give one of -d, -e, -r, --set (got ${modes.join(' and ')})`)
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length ? `one file at a time (got ${positionals.length})` : 'no file given: sops-like [-d|-e|-r|--set …] FILE, or see sops-like --help')
  }
  const file = positionals[0]!
  switch (modes[0]) {
    case 'decrypt':
      return [modes[0], ...rest, stdinName(file)]
    case 'encrypt':
      // sops takes --decryption-order everywhere; encrypting decrypts nothing, so it goes
      return [modes[0], ...dropFlag(rest, '--decryption-order'), stdinName(file)]
    case 'rotate': {
      // sops prints the rotated file unless -i or --output; our `rotate FILE` is in place
      const inPlace = rest.some((f) => f === '-i' || f === '--in-place')
      const hasOut = rest.some((f) => flagName(f) === '--output' || f === '-o')
      // -r -i: sops prints nothing, so neither our progress nor the recipients report
      return ['rotate', ...(hasOut ? [] : inPlace ? ['-q'] : ['--output', '-']), ...rest, file]
    }
    case 'set': {
      const [path, value] = splitSetArg(setArg!)
      return ['set', ...rest.filter((f) => f !== '-i' && f !== '--in-place'), file, path, value]
    }
    default:
      if (file === '-' || file === '/dev/stdin') throw new UsageError('edit needs a file, not standard input: decrypt with sops-like -d - instead')
      return ['edit', ...rest, file]
  }
}

/** `exec-env FILE CMD` → `run -f FILE --override -- sh -c CMD` (the file's values win, as in sops). */
function execEnv(args: readonly string[]): string[] {
  refuseUnsupported(args)
  const { flags, positionals } = split(args)
  if (positionals.length !== 2) throw new UsageError('usage: sops-like exec-env FILE COMMAND (the command is one argument, run by sh -c)')
  const keep: string[] = []
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!
    if (f === '--pristine' || f === '--keep-key-env') keep.push(f)
    else if (f === '--input-type' || f === '--decryption-order') keep.push(f, flags[++i] ?? '')
    else if (f.startsWith('--decryption-order=')) keep.push(f)
    else throw new UsageError(`exec-env does not take ${f} (it takes --pristine, --input-type and --decryption-order)`)
  }
  return ['run', '-f', positionals[0]!, '--override', ...keep, '--', 'sh', '-c', positionals[1]!]
}

/** `exec-file FILE CMD` → `run --as-file FILE --filename tmp-file -- sh -c CMD` ({} is the decrypted file's path). */
function execFile(args: readonly string[]): string[] {
  refuseUnsupported(args)
  const { flags, positionals } = split(args)
  if (positionals.length !== 2) throw new UsageError('usage: sops-like exec-file FILE COMMAND (the command is one argument, run by sh -c; {} is the decrypted file)')
  const out: string[] = []
  let filename = 'tmp-file' // sops' name; never the file's own name, which would be pasted into a shell command
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!
    if (f === '--no-fifo' || f === '--keep-key-env' || f.startsWith('--decryption-order=')) out.push(f)
    else if (f === '--decryption-order') out.push(f, flags[++i] ?? '')
    else if (f === '--filename' || f === '--input-type') {
      if (f === '--filename') filename = flags[++i] ?? ''
      else out.push(f, flags[++i] ?? '')
    } else if (f === '--output-type') throw new UsageError('exec-file hands the file in its own format: decrypt it with sops-like decrypt --output-type … instead')
    else throw new UsageError(`exec-file does not take ${f} (it takes --no-fifo, --filename, --input-type and --decryption-order)`)
  }
  return ['run', '--as-file', positionals[0]!, '--filename', filename, ...out, '--', 'sh', '-c', positionals[1]!]
}

/** Rewrites sops' spellings into ours; argv already in our form comes back as it is (a copy). */
export function translateSopsArgv(argv: readonly string[]): string[] {
  const first = argv[0]
  if (first === undefined) return []
  if (first === 'exec-env') return execEnv(argv.slice(1))
  if (first === 'exec-file') return execFile(argv.slice(1))
  if (first === 'encrypt' || first === 'decrypt') return argv.map((a, i) => (i > 0 && a === '/dev/stdin' ? '-' : a))
  if (OURS.has(first)) return [...argv]
  if (['-h', '--help', '-v', '--version', '-V'].includes(first)) return [...argv] // `--help rotate` too
  // sops' subcommands we do not have: name the nearest of ours
  if (first === 'publish' || first === 'keyservice') throw new UsageError(`sops-like has no ${first} command`)
  // an unknown word that is not a file and has no sops flag: let commander suggest a command
  if (!isFlag(first) && first !== '-' && argv.length === 1 && !/[./\\]/.test(first)) return [...argv]
  return topLevel(argv)
}
