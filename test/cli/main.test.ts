/**
 * main() maps our errors by `instanceof` alone. That holds under the test runner only because
 * test files are loaded as ES modules (scripts/test.mjs): were they `require`d (`uvu -r tsx`),
 * every module src/ loads lazily would come from a second copy of src/errors.ts, and a typed
 * error thrown there would be reported as an internal error.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { FileNotFoundError, SopsLikeError } from '../../src/errors.js'
import { reportError } from '../../src/cli/main.js'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/keys.js'

const t = tempDir('sops-like-main-')
test.after(() => t.cleanup())

const sink = () => {
  let text = ''
  return { write: (c: string | Uint8Array) => { text += String(c); return true }, get text() { return text } }
}

test('one copy of src/errors.ts: an error thrown by a lazily imported module is an instance of the statically imported class', async () => {
  const { decryptFile } = await import('../../src/ops/crypt/files.js')
  const e = await decryptFile(join(t.dir, 'missing.enc.yaml'), { cwd: t.dir }).then(() => undefined, (x: unknown) => x)
  assert.ok(e instanceof SopsLikeError, String(e))
  assert.ok(e instanceof FileNotFoundError, String(e))
})

test('a typed error from a lazily loaded command reaches the user as its exit code and one line', async () => {
  const r = await runCli(['decrypt', 'missing.enc.yaml'], { cwd: t.dir })
  assert.is(r.code, new FileNotFoundError('x').exitCode, r.stderr)
  assert.match(r.stderr, /^sops-like: .*missing\.enc\.yaml/)
  assert.is(r.stderr.trim().split('\n').length, 1)
})

test('an error that only looks typed (exitCode and code fields) is an internal error, its message not shown', () => {
  const lookAlike = Object.assign(new Error('secret-looking text'), { exitCode: 2, code: 'READ_FAILED' })
  const stderr = sink()
  const code = reportError(lookAlike, { stdout: sink(), stderr, env: {}, cwd: t.dir })
  assert.is(code, 1)
  assert.not.match(stderr.text, /secret-looking/)
  assert.match(stderr.text, /internal error/)
})

test.run()
