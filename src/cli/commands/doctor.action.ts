/** Action of `doctor`: flags → ops/doctor → the report as text or JSON on stdout; the report's exit code. */
import { resolve } from 'node:path'
import type { CliIo } from '../io.js'

/** The flags `doctor` declares (doctor.command.ts). */
export interface DoctorFlags { json?: boolean; config?: string; inputType?: string; pgpKeyFile?: string }

export async function runDoctor(file: string | undefined, f: DoctorFlags, io: CliIo): Promise<number> {
  const { doctor } = await import('../../ops/doctor/index.js')
  const report = await doctor(file, {
    env: io.env,
    cwd: io.cwd,
    ...(f.config ? { configPath: f.config } : {}),
    ...(f.inputType ? { inputType: f.inputType } : {}),
    ...(f.pgpKeyFile ? { pgpKeyFile: resolve(io.cwd, f.pgpKeyFile) } : {}),
  })
  if (report.git) {
    const { cloneSetupNotice } = await import('../../ops/git/clone-setup.js')
    const line = cloneSetupNotice({ cwd: report.git.root, env: io.env })
    if (line) io.stderr.write(`sops-like: ${line}\n`)
  }
  if (f.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n')
  else {
    const { renderDoctor } = await import('./doctor.render.js')
    io.stdout.write(renderDoctor(report, io))
  }
  return report.exitCode
}
