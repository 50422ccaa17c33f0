/**
 * Memory in proportion to the value: encrypting (and decrypting) one value of N bytes must not
 * raise the process's peak RSS by more than a fixed multiple of N. Each call runs in a child
 * process of its own (test/helpers/memory-child.mjs, on the build) that reports how far its peak
 * rose above the RSS it had just before the call. Before round two of the performance work a
 * 20 MB value took 1.4 GB to encrypt (about 70× N: a YAML writer that built the output one
 * character at a time); the bound below is 8× N. Not timed. Linux only (/proc/self/clear_refs).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/keys.js'

const N = 16_000_000
const BOUND = 8
const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..')
const lib = join(root, 'dist/src/index.js')
const child = join(root, 'test/helpers/memory-child.mjs')
const linux = process.platform === 'linux' && existsSync('/proc/self/clear_refs')

interface Report { op: string; kind: string; n: number; peak: number }

function measure(op: 'encrypt' | 'decrypt', kind: 'yaml' | 'binary', file: string): Report {
  const r = spawnSync(process.execPath, ['--expose-gc', child, op, kind, String(N), file, lib], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } })
  assert.is(r.status, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Report
}

for (const kind of ['yaml', 'binary'] as const) {
  test(`${kind}: encrypting and decrypting one value of N bytes raise the peak RSS by at most ${BOUND}× N`, () => {
    if (!linux) return console.log(`skipped: the peak RSS reset needs Linux (/proc/self/clear_refs)`)
    if (!existsSync(lib)) return console.log('skipped: needs the build (npm run build)')
    const t = tempDir()
    try {
      const file = join(t.dir, `${kind}.enc`)
      for (const op of ['encrypt', 'decrypt'] as const) {
        const r = measure(op, kind, file)
        assert.ok(r.peak <= BOUND * N, `${op} ${kind}: peak rose ${(r.peak / N).toFixed(1)}× N (bound ${BOUND}×)`)
      }
    } finally {
      t.cleanup()
    }
  })
}

test.run()
