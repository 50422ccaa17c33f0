/**
 * Differential fuzz test of our age v1 reader (src/keys/age-file.ts through createAgeIdentity,
 * kept for start-up time) against age-encryption's Decrypter: random X25519 keys, payloads
 * (empty, small, around the 64 KiB chunk size), stanza sets (1–4 recipients, any subset of
 * identities, unrelated ones) and damage (flipped bits, mostly in the header; truncation;
 * appended bytes; stanzas reordered or added). Both readers must agree on success or failure,
 * and on the plaintext. The armored form (how sops stores it) is fuzzed too: changed characters,
 * CRLF line ends, spaces, missing or extra lines. FUZZ_RUNS=n runs more cases.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption'
import { createAgeIdentity } from '../../src/keys/age-identity.js'

const POOL = 6
const ids: string[] = []
const recipients: string[] = []

test.before(async () => {
  for (let i = 0; i < POOL; i++) {
    ids.push(await generateX25519Identity())
    recipients.push(await identityToRecipient(ids[i]!))
  }
})

async function ours(file: Uint8Array, identities: string[]): Promise<number[] | null> {
  if (!identities.length) return null
  const out = await createAgeIdentity(identities, 'fuzz').unwrap({ type: 'age', fields: { enc: Buffer.from(file).toString('binary') } })
  return out ? [...out] : null
}

async function theirs(file: Uint8Array, identities: string[]): Promise<number[] | null> {
  if (!identities.length) return null
  const d = new Decrypter()
  for (const i of identities) d.addIdentity(i)
  try {
    return [...(await d.decrypt(file))]
  } catch {
    return null
  }
}

/** Splits a binary age file into header lines (through the MAC line) and the payload. */
function headerLines(file: Uint8Array): { lines: string[]; payload: Uint8Array } | null {
  const buf = Buffer.from(file)
  const mac = buf.indexOf('\n--- ')
  if (mac < 0) return null
  const end = buf.indexOf(0x0a, mac + 1)
  if (end < 0) return null
  return { lines: buf.toString('latin1', 0, end).split('\n'), payload: file.subarray(end + 1) }
}
const join = (lines: string[], payload: Uint8Array): Uint8Array => Uint8Array.from(Buffer.concat([Buffer.from(lines.join('\n') + '\n', 'latin1'), payload]))

type Damage =
  | { kind: 'none' }
  | { kind: 'flip'; at: number; header: boolean; bit: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'reverse-stanzas' }
  | { kind: 'extra-stanza'; args: string[]; body: string }

function damage(file: Uint8Array, d: Damage): Uint8Array {
  const f = Uint8Array.from(file)
  switch (d.kind) {
    case 'none':
      return f
    case 'flip': {
      const h = headerLines(file)
      const span = d.header && h ? f.length - h.payload.length : f.length
      f[d.at % span]! ^= 1 << d.bit
      return f
    }
    case 'truncate':
      return f.subarray(0, d.keep % (f.length + 1))
    case 'append':
      return Uint8Array.from(Buffer.concat([f, d.bytes]))
    case 'reverse-stanzas': {
      const h = headerLines(file)!
      const stanzas: string[][] = []
      for (const l of h.lines.slice(1, -1)) (l.startsWith('-> ') ? stanzas.push([l]) : stanzas[stanzas.length - 1]!.push(l))
      return join([h.lines[0]!, ...stanzas.reverse().flat(), h.lines[h.lines.length - 1]!], h.payload)
    }
    case 'extra-stanza': {
      const h = headerLines(file)!
      return join([...h.lines.slice(0, -1), `-> ${d.args.join(' ')}`, d.body, h.lines[h.lines.length - 1]!], h.payload)
    }
  }
}

const payloadArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(65535, 65536, 65537, 131072), fc.integer({ min: 0, max: 255 })).map(([n, b]) => new Uint8Array(n).fill(b)) },
)
const argArb = fc.stringMatching(/^[\x21-\x7e]{1,12}$/)
const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), header: fc.boolean(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reverse-stanzas' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extra-stanza' as const), args: fc.array(argArb, { minLength: 1, maxLength: 3 }), body: fc.stringMatching(/^[A-Za-z0-9+/]{0,43}$/) }) },
)

test('differential fuzz: our age reader and age-encryption agree on success, failure and plaintext', async () => {
  await fc.assert(
    fc.asyncProperty(
      payloadArb,
      fc.uniqueArray(fc.integer({ min: 0, max: POOL - 1 }), { minLength: 1, maxLength: 4 }),
      fc.uniqueArray(fc.integer({ min: 0, max: POOL - 1 }), { maxLength: 3 }),
      damageArb,
      async (payload, to, holding, d) => {
        const e = new Encrypter()
        for (const i of to) e.addRecipient(recipients[i]!)
        const file = damage(await e.encrypt(payload), d)
        const held = holding.map((i) => ids[i]!)
        const [a, b] = [await ours(file, held), await theirs(file, held)]
        assert.equal(a, b, `damage ${d.kind}, recipients ${to}, identities ${holding}`)
        if (d.kind === 'none') assert.is(a !== null, holding.some((i) => to.includes(i)), 'an intact file opens exactly when an identity is a recipient')
      },
    ),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 250) },
  )
})

type TextDamage = { kind: 'none' } | { kind: 'char'; at: number; c: string } | { kind: 'crlf' } | { kind: 'indent' } | { kind: 'drop-line'; at: number } | { kind: 'no-final-newline' }
const textDamageArb: fc.Arbitrary<TextDamage> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('char' as const), at: fc.nat(), c: fc.constantFrom('A', '=', ' ', '\n', '-', '/', '!') }),
  fc.constant({ kind: 'crlf' as const }),
  fc.constant({ kind: 'indent' as const }),
  fc.record({ kind: fc.constant('drop-line' as const), at: fc.nat() }),
  fc.constant({ kind: 'no-final-newline' as const }),
)
function damageText(t: string, d: TextDamage): string {
  const lines = t.split('\n')
  switch (d.kind) {
    case 'none': return t
    case 'char': { const i = d.at % t.length; return t.slice(0, i) + d.c + t.slice(i + 1) }
    case 'crlf': return t.replace(/\n/g, '\r\n')
    case 'indent': return lines.map((l) => (l ? '  ' + l : l)).join('\n')
    case 'drop-line': lines.splice(d.at % lines.length, 1); return lines.join('\n')
    case 'no-final-newline': return t.trimEnd()
  }
}

test('differential fuzz (armored, as sops stores it): both readers agree', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 32, maxLength: 33 }),
      fc.uniqueArray(fc.integer({ min: 0, max: POOL - 1 }), { minLength: 1, maxLength: 2 }),
      fc.integer({ min: 0, max: POOL - 1 }),
      textDamageArb,
      async (payload, to, holding, d) => {
        const e = new Encrypter()
        for (const i of to) e.addRecipient(recipients[i]!)
        const text = damageText(armor.encode(await e.encrypt(payload)), d)
        const a = await createAgeIdentity([ids[holding]!], 'fuzz').unwrap({ type: 'age', fields: { enc: text } })
        let b: Uint8Array | null
        try {
          b = await (() => { const dec = new Decrypter(); dec.addIdentity(ids[holding]!); return dec.decrypt(armor.decode(text)) })()
        } catch {
          b = null
        }
        assert.equal(a ? [...a] : null, b ? [...b] : null, `damage ${JSON.stringify(d)}`)
      },
    ),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 250) },
  )
})

test.run()
