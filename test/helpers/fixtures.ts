/**
 * Paths and known data keys of the sops fixtures in ../shared/fixtures/sops, which live outside
 * the repository: a clone elsewhere has none, so tests that read them go through needsFixtures.
 */
import { existsSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'uvu'

export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/sops/', import.meta.url))
/** Whether the upstream sops fixtures are beside this repository (CI has them; a plain clone may not). */
export const HAVE_FIXTURES = existsSync(FIXTURES)
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

/**
 * The `test` of the tests that read the sops fixtures: `suite` itself when they are there; else a
 * stand-in that registers nothing (uvu has no skip) and prints one line for the file, once.
 */
export function needsFixtures<T extends Test>(suite: T, fileUrl: string): T {
  if (HAVE_FIXTURES) return suite
  let said = false
  const skip = (name?: unknown): void => {
    if (said || typeof name !== 'string') return
    said = true
    sayFixturesSkipped(fileUrl)
  }
  // `after` hooks still run (at `run()`): they remove what the file made when it was loaded
  const afters: Array<() => unknown> = []
  const before = Object.assign(() => {}, { each: () => {} })
  const after = Object.assign((fn: () => unknown) => { afters.push(fn) }, { each: () => {} })
  const run = (): void => { for (const fn of afters) void fn() }
  return Object.assign(skip, { only: skip, skip, before, after, run }) as unknown as T
}

/** The one line a test file prints when it skips the tests that read the absent sops fixtures. */
export function sayFixturesSkipped(fileUrl: string): void {
  console.log(`skipped: ${relative(process.cwd(), fileURLToPath(fileUrl))}: its tests that read the sops fixtures (${relative(process.cwd(), FIXTURES)} is absent)`)
}
