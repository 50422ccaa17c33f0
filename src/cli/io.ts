/** The CLI's injectable world: output streams, environment and folder (tests run main() in-process). */
import { resolve } from 'node:path'
import { UsageError } from '../errors.js'
export interface CliIo {
  stdout: { write(chunk: string | Uint8Array): unknown; isTTY?: boolean }
  stderr: { write(chunk: string | Uint8Array): unknown; isTTY?: boolean }
  env: NodeJS.ProcessEnv
  cwd: string
}

/** The real process; its stdout and stderr streams are made on first use (a `run` that prints nothing never pays for them). */
export const processIo = (): CliIo => ({
  get stdout() { return process.stdout },
  get stderr() { return process.stderr },
  env: process.env,
  cwd: process.cwd(),
})

/** Colour only on a TTY and never with NO_COLOR. */
export const useColor = (io: CliIo, stream: 'stdout' | 'stderr' = 'stderr'): boolean => !!io[stream].isTTY && io.env.NO_COLOR === undefined

/** Splits repeatable/comma-separated flag values. */
export const list = (v: string[] | string | undefined): string[] | undefined =>
  v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)

/** `--decryption-order` as every decrypting command declares it (sops' flag; SOPS_DECRYPTION_ORDER when absent). */
export const DECRYPTION_ORDER_FLAG = ['--decryption-order <types>', "key types to try first in each key group, comma-separated (default age,pgp; SOPS_DECRYPTION_ORDER), e.g. hc_vault,age"] as const

/** A path flag resolved against the working folder; absent or '' (sops' "not given") stays undefined. */
export const pathFlag = (io: CliIo, p: string | undefined): string | undefined => (p ? resolve(io.cwd, p) : undefined)

export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value]

/** sops' `--indent N` (an IntFlag): a whole number or a UsageError; absent stays undefined. */
export function indentFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  if (!/^\s*-?\d{1,4}\s*$/.test(v)) throw new UsageError('--indent takes a whole number of spaces (YAML: 0 = 4, the default; JSON: -1 = a tab, the default)')
  return Number(v)
}

export const INDENT_HELP = 'spaces per level of YAML/JSON output, as sops --indent (default: YAML 4, JSON a tab)'
