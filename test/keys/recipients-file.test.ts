/**
 * age recipients files: a repository's config can name any file as `age_recipients_file`
 * (`~/.git-credentials`); a bad line is reported as path:line, never quoted (it used to show up
 * to 70 characters of it: a credential URL fits).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readRecipientsFile } from '../../src/keys/recipients-file.js'
import { ReadError, RecipientError } from '../../src/errors.js'
import { runCli, isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir } from '../helpers/keys.js'

const TOKEN = 'ghp_S3cr3tT0kenXYZ'
const CREDENTIALS = `https://alice:${TOKEN}@github.com\n`

test("a config's age_recipients_file pointing at ~/.git-credentials: the error names path:line and never shows the token", async () => {
  const t = tempDir()
  try {
    const k = await makeAgeKey(t.dir)
    mkdirSync(join(t.dir, 'home'))
    const creds = join(t.dir, 'home', '.git-credentials')
    writeFileSync(creds, CREDENTIALS)
    assert.throws(() => readRecipientsFile(creds), (e: unknown) => e instanceof RecipientError && (e as Error).message === `${creds}:1: not a valid age or SSH recipient (the line is not shown)`)

    // line numbers count comments and blank lines; good lines before a bad one do not matter
    const mixed = join(t.dir, 'team.txt')
    writeFileSync(mixed, `# team\n\n${k.recipient}\nshort\n`)
    assert.throws(() => readRecipientsFile(mixed), (e: unknown) => e instanceof RecipientError && /team\.txt:4: /.test((e as Error).message) && !(e as Error).message.includes('short'))
    writeFileSync(mixed, `# team\n\n${k.recipient}\n`)
    assert.equal(readRecipientsFile(mixed), [k.recipient])
    assert.throws(() => readRecipientsFile(join(t.dir, 'missing.txt')), (e: unknown) => e instanceof ReadError)

    // through the CLI, as a victim runs it in a hostile repository
    const repo = join(t.dir, 'repo')
    mkdirSync(repo)
    writeFileSync(join(repo, '.sops-like.yaml'), `creation_rules:\n  - age_recipients_file: ${creds}\n`)
    writeFileSync(join(repo, 'a.yaml'), 'k: v\n')
    const r = await runCli(['encrypt', 'a.yaml'], { cwd: repo, env: isolatedEnv() })
    assert.is(r.code, 30, r.stderr)
    assert.match(r.stderr, /\.git-credentials:1: not a valid age or SSH recipient/)
    for (const leak of [TOKEN, 'alice', 'github.com', TOKEN.slice(0, 12)]) assert.not.ok(r.stderr.includes(leak), `stderr shows ${leak}`)
  } finally {
    t.cleanup()
  }
})

test.run()
