// The package as a user gets it: `npm pack` of this repository (prepack builds dist/ with its
// declarations), installed with `npm i <tarball>` into a fresh project outside the repository.
// The registry serves the package's dependencies (--prefer-offline: from npm's cache when it can).
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './runtimes.ts'
import { cleanEnv, run, tempDir, type RunResult } from './process.ts'

/** npm reads npm_config_* (set when this runs under `npm test`) as its own config: drop them. */
export const userEnv = (extra: NodeJS.ProcessEnv = {}) => cleanEnv(['npm_', 'NPM_'], extra)

let tarball: Promise<string> | undefined

/** The packed tarball (made once per test process). */
export function packTarball(): Promise<string> {
  tarball ??= (async () => {
    const out = tempDir('gh-pack', { removeOnExit: true })
    const r = await run('npm', ['pack', '--pack-destination', out], { cwd: ROOT, env: userEnv(), timeoutMs: 240_000 })
    if (r.code !== 0) throw new Error(`npm pack failed:\n${r.stderr}`)
    return join(out, readdirSync(out).find((f) => f.endsWith('.tgz'))!)
  })()
  return tarball
}

export interface Project {
  dir: string
  /** Runs a command in the project to completion. */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<RunResult>
}

/** `npm init -y`, `npm pkg set type=module` and `npm i <tarball>` in a new folder under /tmp. */
export async function freshProject(prefix: string, extraPackages: string[] = []): Promise<Project> {
  const dir = tempDir(prefix, { removeOnExit: true })
  const project: Project = { dir, run: (cmd, args, timeoutMs = 60_000) => run(cmd, args, { cwd: dir, env: userEnv(), timeoutMs }) }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: prefix, version: '1.0.0', private: true, type: 'module' }, null, 2))
  const r = await project.run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', await packTarball(), ...extraPackages], 300_000)
  if (r.code !== 0) throw new Error(`npm install in ${dir} failed:\n${r.stderr}`)
  return project
}
