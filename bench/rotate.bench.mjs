// rotate --all throughput: 200 JSON files of 20 values each, one age recipient, in a temp dir.
// Needs a build (npm run build): files are created through dist/, the command is bin/sops-like.cjs.
// Returns { name, medianMs, perFileMs }; run directly (node bench/rotate.bench.mjs) it also prints them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { timeCommand } from './lib.mjs'

const root = resolve(new URL('..', import.meta.url).pathname)

export async function benchRotate(opts = {}) {
  const files = opts.files ?? 200
  const values = opts.values ?? 20
  const runs = Number(process.env.BENCH_ROTATE_RUNS ?? opts.rotateRuns ?? 5)
  const node = opts.node ?? process.execPath
  const cli = opts.cli ?? join(root, 'bin/sops-like.cjs')
  const lib = await import(pathToFileURL(join(root, 'dist/src/index.js')).href)
  const dir = mkdtempSync(join(opts.dir ?? tmpdir(), 'sops-like-rotate-'))
  try {
    const id = await lib.generateAgeIdentity()
    writeFileSync(join(dir, 'key.txt'), id.text, { mode: 0o600 })
    writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: ${id.recipient}\n`)
    mkdirSync(join(dir, 'secrets'))
    const groups = [[lib.createAgeRecipient(id.recipient)]]
    for (let i = 0; i < files; i++) {
      const obj = Object.fromEntries(Array.from({ length: values }, (_, j) => [`key_${j}`, `value-${i}-${j}-${'x'.repeat(20)}`]))
      const enc = await lib.encryptBytes(Buffer.from(JSON.stringify(obj)), { inputFormat: 'json', groups })
      writeFileSync(join(dir, 'secrets', `f${i}.json`), enc)
    }
    const env = { PATH: process.env.PATH ?? '', HOME: dir, SOPS_AGE_KEY_FILE: join(dir, 'key.txt') }
    const medianMs = timeCommand(node, [cli, 'rotate', '--all'], { runs, env, cwd: dir })
    // sanity: the files still decrypt after all those rotations
    const check = await lib.decryptBytes(readFileSync(join(dir, 'secrets', 'f0.json')), { inputFormat: 'json', env })
    if (!Buffer.from(check).toString().includes('value-0-0-')) throw new Error('rotate bench: f0.json does not decrypt to its values')
    return { name: `sops-like rotate --all (${files} files × ${values} values)`, medianMs, perFileMs: medianMs / files }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchRotate()
  console.log(`| ${r.name} | ${r.medianMs.toFixed(1)} ms | ${r.perFileMs.toFixed(2)} ms/file |`)
}
