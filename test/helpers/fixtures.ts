/** Paths and known data keys of the sops fixtures in ../shared/fixtures/sops. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/sops/', import.meta.url))
export const fixture = (rel: string): Buffer => readFileSync(FIXTURES + rel)
export const fixturePath = (rel: string): string => FIXTURES + rel

/** Data keys recovered from the PGP-encrypted fixtures (docs/format.md §13). */
export const DATA_KEYS: Record<string, string> = {
  'functional-tests/res/format.enc.yaml': 'af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4',
  'functional-tests/res/format.enc.json': '9f6aeda6383502c38f7dae6fbbb8cb6890582adb0335effa8952fe590d7a9596',
  'functional-tests/res/format.enc.env': '322d9a97997823fb2bf42f55a6c26100cbaf0520cf88bb7ebee1cf47dd6d318d',
  'functional-tests/res/format.enc.ini': 'ce46fd76883106d55913ff2207e160bbeac65a71d6e1cf84c510614bed6f8ccd',
  'example.yaml': '8c68886c50b5b72965a3cb99c5172e1d74a8aca27b39ee880b535d6907e59f68',
}

export const PGP_TEST_KEY = fixturePath('pgp/sops_functional_tests_key.asc')
export const AGE_TEST_KEYS = fixturePath('age-test-keys.txt')
export const CANARY = 'CANARY-7d1e-s3cr3t-value'
