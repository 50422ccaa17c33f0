/**
 * Loads the `yaml` package for `library.ts`. The CLI bundle swaps this module for one that
 * requires its vendored copy on the first call instead of at start-up (scripts/bundle.mjs).
 */
import * as Yaml from 'yaml'

export const loadYaml = (): typeof Yaml => Yaml
