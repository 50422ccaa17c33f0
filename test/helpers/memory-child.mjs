// Child process of test/perf/memory.test.ts (plain JavaScript on the build, so that no compiler
// sits in the process whose memory is measured). Encrypts one value of N bytes, or decrypts such
// a file, with the library, and prints as JSON how far the peak RSS rose above the RSS before the
// call (Linux: the peak is reset through /proc/self/clear_refs after a warm-up and a GC).
// Usage: node --expose-gc memory-child.mjs <encrypt|decrypt> <yaml|binary> <bytes> <file> <dist/src/index.js>
import { readFileSync, writeFileSync } from 'node:fs'

const [op, kind, size, file, lib] = process.argv.slice(2)
const { createAgeRecipient, decryptBytes, encryptBytes, generateAgeIdentity } = await import(lib)
const n = Number(size)
const inputFormat = kind === 'binary' ? 'binary' : 'yaml'
const keyFile = `${file}.key`

function plaintext(bytes) {
  if (kind !== 'binary') return Buffer.from('big: ' + 'abcdefghij0123456789'.repeat(Math.ceil(bytes / 20)).slice(0, bytes) + '\n')
  const b = Buffer.alloc(bytes)
  for (let i = 0; i < bytes; i++) b[i] = (i * 2654435761) >>> 24 // not valid UTF-8
  return b
}
const status = (field) => Number(/(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field)))[1]) * 1024

let id
if (op === 'encrypt') {
  id = await generateAgeIdentity()
  writeFileSync(keyFile, id.text)
}
const groups = op === 'encrypt' ? [[createAgeRecipient(id.recipient)]] : []
const env = { SOPS_AGE_KEY_FILE: keyFile }
// warm-up: every module and code path loaded, so that the peak below is the work on the value
if (op === 'encrypt') await encryptBytes(plaintext(1000), { inputFormat, groups })
else await decryptBytes(readFileSync(`${file}.small`), { inputFormat, env })
const input = op === 'encrypt' ? plaintext(n) : readFileSync(file)
globalThis.gc()
writeFileSync('/proc/self/clear_refs', '5')
const before = status('VmRSS:')
const out = op === 'encrypt' ? await encryptBytes(input, { inputFormat, groups }) : await decryptBytes(input, { inputFormat, env })
const peak = status('VmHWM:') - before
if (op === 'encrypt') {
  writeFileSync(file, out)
  writeFileSync(`${file}.small`, await encryptBytes(plaintext(1000), { inputFormat, groups }))
}
console.log(JSON.stringify({ op, kind, n, inputBytes: input.length, outBytes: out.length, peak }))
