// Loaded with `node --require` into a timed command by the benchmarks: on exit it appends the
// process's peak resident set (KiB, from getrusage) to $BENCH_PEAK_FILE, so the table can report
// the peak memory of the command itself with nothing but Node.
'use strict'
const file = process.env.BENCH_PEAK_FILE
if (file) process.on('exit', () => require('node:fs').appendFileSync(file, `${process.resourceUsage().maxRSS}\n`))
