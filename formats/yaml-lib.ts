/**
 * The `yaml` package, loaded on first use. The fast line reader (`yaml-fast.ts`) reads
 * the files sops writes without it, so `run`, textconv and `decrypt` of such files never
 * pay for loading it; the full reader, the config reader and the config editor call it.
 *
 * Loaded synchronously (the package is CommonJS) because `Format.parse` is synchronous.
 * The bundled CLI keeps its own single-file copy of the package; scripts/bundle.mjs
 * tells this module where through `__SOPS_LIKE_YAML__`.
 */
import { createRequire } from 'node:module'
import type * as Yaml from 'yaml'

declare const __SOPS_LIKE_YAML__: string | undefined

let lib: typeof Yaml | undefined

export function yamlLib(): typeof Yaml {
  if (!lib) {
    const id = typeof __SOPS_LIKE_YAML__ === 'string' ? __SOPS_LIKE_YAML__ : 'yaml'
    lib = createRequire(import.meta.url)(id) as typeof Yaml
  }
  return lib
}

// The node tests of the package, for modules that only meet nodes the package made
// (so it is already loaded when these run).
export const isAlias = (n: unknown): n is Yaml.Alias => yamlLib().isAlias(n)
export const isMap = (n: unknown): n is Yaml.YAMLMap => yamlLib().isMap(n)
export const isSeq = (n: unknown): n is Yaml.YAMLSeq => yamlLib().isSeq(n)
export const isScalar = (n: unknown): n is Yaml.Scalar => yamlLib().isScalar(n)
export const isPair = (n: unknown): n is Yaml.Pair => yamlLib().isPair(n)
