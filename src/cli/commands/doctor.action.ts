/** Action of `doctor`: flags → ops/doctor → the report as text or JSON on stdout; the report's exit code. */
import { defined } from '../../defined.js'
import { pathFlag, type CliIo } from '../io.js'

/** The flags `doctor` declares (doctor.command.ts). */
export interface DoctorFlags { json?: boolean; config?: string; inputType?: string; pgpKeyFile?: string }

export async function runDoctor(file: string | undefined, f: DoctorFlags, io: CliIo): Promise<number> {
  const { doctor } = await import('../../ops/doctor/index.js')
  const report = await doctor(file, {
    env: io.env,
    cwd: io.cwd,
    ...defined({ configPath: f.config, inputType: f.inputType, pgpKeyFile: pathFlag(io, f.pgpKeyFile) }),
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
