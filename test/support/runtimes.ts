// The gateway CLI as a real process under Node, Bun or Deno (the runtime matrix, DESIGN.md §7).
// Bun and Deno come from this package's devDependencies (node_modules/.bin) or PATH; a missing
// binary is an error, never a skip: CI installs them.
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from './ports.ts'
import { spawnLogged, waitFor, which, type LoggedProcess } from './process.ts'

export const ROOT = join(import.meta.dirname, '../..')
export const RUNTIMES = ['node', 'bun', 'deno'] as const
export type RuntimeName = (typeof RUNTIMES)[number]

/** Absolute path of the runtime's executable. */
export function runtimeBinary(name: RuntimeName): string {
  if (name === 'node') return process.execPath
  const local = join(ROOT, 'node_modules', '.bin', name)
  if (existsSync(local)) return local
  const found = which(name)
  if (!found) throw new Error(`${name} not found in node_modules/.bin or PATH: npm ci installs it (devDependencies)`)
  return found
}

/** `deno run` flags of deno.json's `start` task, so tests run with exactly the documented permissions. */
export function denoRunFlags(): string[] {
  const tasks = (JSON.parse(readFileSync(join(ROOT, 'deno.json'), 'utf8')) as { tasks: Record<string, string> }).tasks
  const words = tasks.start!.split(/\s+/)
  const flags = words.slice(words.indexOf('run') + 1)
  // A worktree's node_modules may be a symlink out of the repo: packages that read their own files
  // at load (etcd3's .proto files) need its real path readable too, as `.` covers a normal install.
  const modules = realpathSync(join(ROOT, 'node_modules'))
  const extra = modules.startsWith(ROOT + '/') ? '' : `,${modules}`
  return flags.slice(0, flags.findIndex((w) => !w.startsWith('--'))).map((f) => (f === '--allow-read=.' ? f + extra : f))
}

/** How each runtime starts the CLI: bin/gatehouse.js, the built package (dist/) that users run. */
export function gatewayCommand(name: RuntimeName, args: string[]): { cmd: string; args: string[] } {
  const bin = runtimeBinary(name)
  const cli = join(ROOT, 'bin/gatehouse.js')
  if (name === 'deno') return { cmd: bin, args: ['run', ...denoRunFlags(), cli, ...args] }
  return { cmd: bin, args: [cli, ...args] }
}

export interface RuntimeGateway {
  runtime: RuntimeName
  url: string
  port: number
  proc: LoggedProcess
  /** PID of the process running the gateway (the runtime itself, not a launcher). */
  pid: number
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number
  stop(): Promise<void>
}

/** Writes `source(port)` as a config under test-output/configs (inside the repo, so `import 'gatehouse'` resolves) and starts the CLI. */
export async function spawnGatewayUnder(
  runtime: RuntimeName,
  source: (port: number) => string,
  name = 'e2e',
  command: (file: string) => { cmd: string; args: string[] } = (file) => gatewayCommand(runtime, ['start', '--config', file]),
): Promise<RuntimeGateway> {
  const dir = join(ROOT, 'test-output', 'configs')
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const file = join(dir, `${name}-${runtime}-${port}.config.ts`)
  writeFileSync(file, source(port))
  const { cmd, args } = command(file)
  const proc = spawnLogged(cmd, args, { cwd: ROOT, name: `gatehouse-${runtime}` })
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/__gatehouse/health`).catch(() => undefined)) !== undefined, {
    timeoutMs: 30_000,
    what: `gatehouse under ${runtime} on port ${port}`,
    abort: () => (proc.running() ? undefined : `it exited:\n${proc.tail()}`),
  })
  const pid = runtimePid(proc.pid, runtime)
  return {
    runtime,
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    pid,
    peakRssMb: () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024,
    stop: () => proc.stop(),
  }
}

/** The spawned PID if it is the runtime's own executable, else its descendant that is (a launcher script). */
export function runtimePid(pid: number, runtime: RuntimeName): number {
  const want = realpathSync(runtimeBinary(runtime))
  const queue = [pid]
  while (queue.length) {
    const p = queue.shift()!
    if (realpathSync(`/proc/${p}/exe`) === want) return p
    for (const task of readdirSync(`/proc/${p}/task`)) {
      const kids = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim()
      if (kids) queue.push(...kids.split(/\s+/).map(Number))
    }
  }
  throw new Error(`no ${runtime} process (${want}) at or below PID ${pid}`)
}
