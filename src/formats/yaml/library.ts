/**
 * The `yaml` package, loaded on first use. The fast line reader (`read-fast.ts`) reads
 * the files sops writes without it; the full reader, the config reader and the config
 * editor call `yamlLib()`. It is loaded synchronously because `Format.parse` is.
 *
 * Where it comes from is `library-import.ts`: a plain static import for the library (so that
 * bundlers of apps see it), replaced in the CLI bundle by a `require` of its own vendored
 * copy that runs only on the first `yamlLib()` call (scripts/bundle.mjs).
 */
import type * as Yaml from 'yaml'
import { loadYaml } from './library-import.js'

/** The package could not be loaded: a broken installation, never a verdict on the input. */
export class YamlLoadError extends Error {}

let lib: typeof Yaml | undefined

export function yamlLib(): typeof Yaml {
  if (!lib) {
    try {
      lib = loadYaml()
    } catch (e) {
      throw new YamlLoadError('cannot load the yaml package', { cause: e })
    }
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
