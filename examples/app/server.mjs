#!/usr/bin/env node
// A tiny app that takes its configuration from the environment, as `sops-like run` gives it:
//
//   sops-like run -f ../secrets.enc.yaml -- node server.mjs            # print what it got
//   sops-like run -f ../secrets.enc.yaml -- node server.mjs --serve    # and answer on $PORT (3000)
//
// It only ever shows setting NAMES, never values. No dependencies.
import { createServer } from 'node:http'

// The settings this app needs, and where each comes from in ../secrets.yaml
// (`db: {password: …}` becomes db_password; with `run --upper`, DB_PASSWORD).
const required = ['db_host', 'db_user', 'db_password', 'api_key']
const optional = ['db_port', 'debug']

/** The value of a setting, by its name in either case. */
const setting = (name) => process.env[name] ?? process.env[name.toUpperCase()]

const missing = required.filter((name) => setting(name) === undefined)
const report = [
  ...required.map((name) => `${setting(name) === undefined ? 'MISSING' : 'ok     '} ${name}`),
  ...optional.map((name) => `${setting(name) === undefined ? '-      ' : 'ok     '} ${name} (optional)`),
]
console.log(report.join('\n'))

if (missing.length) {
  console.error(`app: missing settings: ${missing.join(', ')} (run me with: sops-like run -f ../secrets.enc.yaml -- node server.mjs)`)
  process.exit(1)
}

if (process.argv.includes('--serve')) {
  const port = Number(process.env.PORT ?? 3000)
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ configured: [...required, ...optional].filter((name) => setting(name) !== undefined) }) + '\n')
  })
  server.listen(port, () => console.log(`app: listening on http://localhost:${port}`))
  // stop cleanly when `sops-like run` forwards Ctrl-C or a TERM
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)))
}
