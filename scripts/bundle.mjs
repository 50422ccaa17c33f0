// Bundles the CLI with esbuild (code splitting keeps lazily imported modules such as
// openpgp and unused formats out of the start-up path). Output: dist/cli/main.js.
import { build } from 'esbuild'

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
})
