/** Shared bits of the PGP/gpg tests: the fixture `enc` blobs, the test key, a throwaway GnuPG home. */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fixture, PGP_TEST_KEY } from '../helpers/fixtures.js'

export { PGP_TEST_KEY }
export const KEY1 = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
export const KEY2 = 'D7229043384BCC60326C6FB9D8720D957C3D3074'

/** Every PGP-encrypted sops fixture whose key we have. */
export const PGP_FIXTURES = [
  'functional-tests/res/format.enc.yaml',
  'functional-tests/res/format.enc.json',
  'functional-tests/res/format.enc.env',
  'functional-tests/res/format.enc.ini',
  'functional-tests/res/format-2.enc.ini',
  'functional-tests/res/comments.enc.yaml',
  'functional-tests/res/comments_unencrypted_comments.yaml',
  'functional-tests/res/multiple_keys.yaml',
  'functional-tests/res/no_mac.yaml',
  'example.yaml',
  'example.json',
  'example.ini',
  'example.txt',
  'examples/all_in_one/config/secret.enc.json',
  'examples/per_file/config.enc/static_github.json',
]

/**
 * The armored `enc` messages of a fixture, pulled from the raw text: JSON, dotenv and
 * INI write newlines as the two characters `\n`; YAML block scalars are indented.
 */
export function pgpMessages(rel: string): string[] {
  const text = fixture(rel).toString('utf8').replace(/\\n/g, '\n')
  const blocks = text.match(/-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/g) ?? []
  return blocks.map((b) => b.split('\n').map((l) => l.trim()).join('\n'))
}

/** The armored blocks of the sops test key file, by kind. */
export function testKeyBlocks(): { private: string[]; public: string[] } {
  const text = readFileSync(PGP_TEST_KEY, 'utf8')
  const all = text.match(/-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g) ?? []
  return { private: all.filter((b) => b.includes('PRIVATE')), public: all.filter((b) => b.includes('PUBLIC')) }
}

export const hex = (b: Uint8Array | null): string => (b ? Buffer.from(b).toString('hex') : 'null')

export function gpgOnPath(): boolean {
  return spawnSync('gpg', ['--version'], { stdio: 'ignore' }).status === 0
}

/** A fresh GNUPGHOME (mode 700) with the sops test keys imported and no usable pinentry. */
export function makeGnupgHome(): { home: string; env: NodeJS.ProcessEnv; gpg: (args: string[], input?: string | Uint8Array) => { status: number | null; stdout: Buffer; stderr: string }; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'sops-like-gnupg-'))
  chmodSync(home, 0o700)
  writeFileSync(join(home, 'gpg-agent.conf'), 'pinentry-program /nonexistent/pinentry\n')
  const env: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: home }
  delete env.SOPS_GPG_EXEC
  const gpg = (args: string[], input?: string | Uint8Array) => {
    const r = spawnSync('gpg', args, { env, ...(input !== undefined ? { input } : {}) })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') }
  }
  const imp = gpg(['--batch', '--import', PGP_TEST_KEY])
  if (imp.status !== 0) throw new Error('gpg --import of the test key failed')
  return {
    home,
    env,
    gpg,
    cleanup: () => {
      spawnSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' })
      rmSync(home, { recursive: true, force: true })
    },
  }
}
