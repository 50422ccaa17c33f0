// Bundles the CLI with esbuild, for start-up time (`run` and git textconv start a process per call).
//
// - dist/cli/main.cjs: our code and commander in one CommonJS file. CommonJS because Node 20
//   starts its ES module loader only for ES modules, and resolving, linking and compiling
//   ~20 split ESM chunks cost more than the whole `run` budget over `node -e 0`; modules that
//   are imported lazily in the source stay lazy here (esbuild only runs them on first import).
// - dist/cli/vendor/<package>.cjs: each heavy dependency as one file of its own, loaded only by
//   the commands that need it (openpgp for PGP files, age-encryption to encrypt, the TOML parser
//   for TOML files, yaml for YAML the fast reader does not take and for configs, re2js for a file
//   or rule that has a regular expression, the AWS SDK's KMS and STS clients for files with kms keys,
//   the GCP KMS client for gcp_kms keys, the Azure Key Vault and identity clients for azure_kv keys).
// bin/sops-like.cjs compiles main.cjs through a per-user V8 code cache (bin/load-bundle.cjs).
// The library (dist/src, from tsc) is not bundled; it imports the packages as usual.
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'

const VENDORED = [
  'yaml', 'age-encryption', 'openpgp', 'toml-eslint-parser', 're2js', '@noble/curves/ed25519.js', '@noble/curves/secp256k1.js', '@aws-sdk/client-kms', '@aws-sdk/nested-clients/sts',
  // only the KMS service's client (the package's index loads every service and a 1 MB protobuf module)
  '@google-cloud/kms/build/src/v1/key_management_service_client.js', '@azure/keyvault-keys', '@azure/identity',
]
/**
 * Loader modules the library imports statically (so that bundlers of apps see the package) and
 * that call through a function: here each becomes a require of the vendored file on first call.
 */
const LAZY = [
  { file: /[\\/]src[\\/]formats[\\/]yaml[\\/]library-import\.ts$/, contents: "export const loadYaml = () => require('yaml')" },
  { file: /[\\/]src[\\/]core[\\/]re2-load\.ts$/, contents: "export const loadRe2 = () => require('re2js')" },
  { file: /[\\/]src[\\/]keys[\\/]ed25519-load\.ts$/, contents: "export const loadEd25519 = () => require('@noble/curves/ed25519.js').ed25519" }, // only when an ssh-ed25519 key is involved
  { file: /[\\/]src[\\/]keys[\\/]secp256k1-load\.ts$/, contents: "export const loadSecp256k1 = () => require('@noble/curves/secp256k1.js').secp256k1" }, // only for import-dotenvx
]
const common = {
  bundle: true, format: 'cjs', platform: 'node', target: 'node20', minify: true, legalComments: 'none', logLevel: 'warning',
  // first (esbuild's own "use strict" comes after a banner, where it no longer counts): ES module code is strict
  banner: { js: '"use strict";' },
}
/** For packages written as ES modules that use import.meta.url (openpgp): this file's URL. */
const importMetaUrl = {
  banner: { js: `"use strict";const __sopsLikeUrl=require('node:url').pathToFileURL(__filename).href;` },
  define: { 'import.meta.url': '__sopsLikeUrl' },
}

/**
 * The GCP KMS client runs in google-gax's REST ("fallback") mode, but its generated code requires
 * the whole of google-gax, which loads gRPC (@grpc/grpc-js, ~65 modules) it never uses. In the
 * vendor file `google-gax` is the REST half plus the two helpers the generated code reads.
 */
// google-gax as @google-cloud/kms resolves it (build/src/index.js → the package folder)
const kmsRequire = createRequire(createRequire(import.meta.url).resolve('@google-cloud/kms/package.json'))
const gaxDir = join(dirname(kmsRequire.resolve('google-gax')), '..', '..')
const gaxRequire = createRequire(join(gaxDir, 'build/src/index.js'))
const gaxWithoutGrpc = {
  name: 'gax-without-grpc',
  setup(b) {
    b.onResolve({ filter: /^google-gax$/ }, () => ({ path: 'google-gax', namespace: 'gax-rest' }))
    b.onLoad({ filter: /.*/, namespace: 'gax-rest' }, () => ({
      resolveDir: gaxDir,
      loader: 'js',
      contents: `const fallback = require(${JSON.stringify(join(gaxDir, 'build/src/fallback.js'))})
module.exports = Object.assign({}, fallback, {
  fallback,
  loggingUtils: require(${JSON.stringify(gaxRequire.resolve('google-logging-utils'))}),
  decodeAnyProtosInArray: require(${JSON.stringify(join(gaxDir, 'build/src/util.js'))}).decodeAnyProtosInArray,
})`,
    }))
  },
}

rmSync('dist/cli', { recursive: true, force: true }) // no stale files in the package

await build({
  ...common,
  ...importMetaUrl,
  plugins: [gaxWithoutGrpc],
  entryPoints: Object.fromEntries(VENDORED.map((p) => [p, p])),
  outdir: 'dist/cli/vendor',
  outExtension: { '.js': '.cjs' },
})

/**
 * Imports of a vendored package point at its file in dist/cli/vendor; src/formats/yaml/library-import.ts
 * and src/core/re2-load.ts (static imports, for the library) become a require on first call.
 */
const vendored = {
  name: 'vendored',
  setup(b) {
    const filter = new RegExp(`^(${VENDORED.map((p) => p.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')})$`)
    b.onResolve({ filter }, (args) => ({ path: `./vendor/${args.path}.cjs`, external: true }))
    for (const { file, contents } of LAZY) b.onLoad({ filter: file }, () => ({ contents, loader: 'ts' }))
  },
}

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.cjs',
  plugins: [vendored],
  supported: { 'dynamic-import': false }, // import() of a vendor file or builtin would start the ES module loader
})
