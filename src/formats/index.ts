/**
 * The format registry: the only place that lists formats. Modules are loaded on
 * demand so a command pays only for the formats it touches.
 */
import { basename } from 'node:path'
import type { Format, FormatName } from '../core/format.js'

export type { Format, FormatName, MetadataLayout } from '../core/format.js'

export const FORMAT_NAMES: readonly FormatName[] = ['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary']

const loaders: Record<FormatName, () => Promise<Format>> = {
  yaml: async () => (await import('./yaml/index.js')).yamlFormat,
  json: async () => (await import('./json/index.js')).jsonFormat,
  dotenv: async () => (await import('./dotenv/index.js')).dotenvFormat,
  ini: async () => (await import('./ini/index.js')).iniFormat,
  toml: async () => (await import('./toml/index.js')).tomlFormat,
  binary: async () => (await import('./binary/index.js')).binaryFormat,
}

const cache = new Map<FormatName, Format>()

export async function loadFormat(name: FormatName): Promise<Format> {
  let f = cache.get(name)
  if (!f) {
    f = await loaders[name]()
    cache.set(name, f)
  }
  return f
}

/**
 * `format` writing with sops' `--indent N` (undefined: unchanged). As sops, only YAML
 * (0 = default 4, negative refused) and JSON (-1 = tab, 0 = no indentation) have an
 * indentation, and the binary format's encrypted JSON envelope; dotenv, INI and TOML ignore it.
 */
export async function withIndent(format: Format, indent: number | undefined): Promise<Format> {
  if (indent === undefined) return format
  if (format.name === 'yaml') return { ...(await import('./yaml/index.js')).createYamlFormat({ indent }), indent }
  if (format.name === 'json') return { ...(await import('./json/index.js')).createJsonFormat({ indent }), indent }
  if (format.name === 'binary') {
    ;(await import('./json/index.js')).createJsonFormat({ indent }) // refuses a bad value now, not after the work
    return { ...format, indent }
  }
  return format
}

export function isFormatName(s: string): s is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(s)
}

/** Format by file name: .yaml/.yml, .json, .env / *.env / .env.*, .ini, .toml, else binary. */
export function formatForPath(path: string): FormatName {
  const name = basename(path)
  if (/\.ya?ml$/.test(name)) return 'yaml'
  if (name.endsWith('.json')) return 'json'
  if (name.endsWith('.env') || name === '.env' || name.startsWith('.env.')) return 'dotenv'
  if (name.endsWith('.ini')) return 'ini'
  if (name.endsWith('.toml')) return 'toml'
  return 'binary'
}
