// Bundles the CLI with esbuild, for start-up time (`run` and git textconv start a process per call).
//
// - dist/cli/main.cjs: our code and commander in one CommonJS file. CommonJS because Node 20
//   starts its ES module loader only for ES modules, and resolving, linking and compiling
//   ~20 split ESM chunks cost more than the whole `run` budget over `node -e 0`; modules that
//   are imported lazily in the source stay lazy here (esbuild only runs them on first import).
// - dist/cli/vendor/<package>.cjs: each heavy dependency as one file of its own, loaded only by
//   the commands that need it (openpgp for PGP files, age-encryption to encrypt, the TOML parser
//   for TOML files, yaml for YAML the fast reader does not take and for configs).
// - dist/cli/main.cjs.cache: V8's code cache of main.cjs, which bin/sops-like.cjs hands to V8 so
//   that it need not parse the bundle on every start. Made by this Node; V8 ignores it under
//   another version (or if main.cjs changed) and compiles as usual.
// The library (dist/src, from tsc) is not bundled; it imports the packages as usual.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Script } from 'node:vm'
import { build } from 'esbuild'

const VENDORED = ['yaml', 'age-encryption', 'openpgp', 'toml-eslint-parser']
const common = {
  bundle: true, format: 'cjs', platform: 'node', target: 'node20', minify: true, legalComments: 'none', logLevel: 'warning',
  // ES module code that uses import.meta.url (formats/yaml-lib.ts, openpgp) gets this file's URL
  banner: { js: "const __sopsLikeUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__sopsLikeUrl' },
}

rmSync('dist/cli', { recursive: true, force: true }) // no stale files in the package

await build({
  ...common,
  entryPoints: Object.fromEntries(VENDORED.map((p) => [p, p])),
  outdir: 'dist/cli/vendor',
  outExtension: { '.js': '.cjs' },
})

/** Imports of a vendored package point at its file in dist/cli/vendor. */
const vendored = {
  name: 'vendored',
  setup(b) {
    const filter = new RegExp(`^(${VENDORED.map((p) => p.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')})$`)
    b.onResolve({ filter }, (args) => ({ path: `./vendor/${args.path}.cjs`, external: true }))
  },
}

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.cjs',
  plugins: [vendored],
  supported: { 'dynamic-import': false }, // import() of a vendor file or builtin would start the ES module loader
  define: { ...common.define, __SOPS_LIKE_YAML__: JSON.stringify('./vendor/yaml.cjs') },
})

// Compiled with the launcher's own wrapper: V8 accepts a cache only for the same source text.
const { wrap } = createRequire(import.meta.url)('../bin/sops-like.cjs')
const main = 'dist/cli/main.cjs'
writeFileSync(`${main}.cache`, new Script(wrap(readFileSync(main, 'utf8')), { filename: main }).createCachedData())
