/**
 * Worker processes on runtimes with Node's `child_process` and `process` (Node, Bun): `fork`
 * runs this program's entry point again with an IPC channel (JSON messages, in order). Bun
 * implements `fork` with its own IPC, so the same code serves both.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import type { ProcessChannel, WorkerProcess, WorkerSpawner } from '../types.ts'

export const forkedWorkers: WorkerSpawner = {
  spawn(args) {
    // process.argv[1] is the entry point (bin/gatehouse.js); Node passes its own execArgv on.
    const child = fork(process.argv[1]!, [...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return childChannel(child)
  },
  parent() {
    if (typeof process.send !== 'function') return undefined
    return {
      send: (message) => void (process.connected && process.send!(message)),
      onMessage: (fn) => void process.on('message', fn),
      // A primary that died before this worker got here: closed already, no event will come.
      onClose: (fn) => (process.connected ? void process.once('disconnect', fn) : queueMicrotask(fn)),
    } satisfies ProcessChannel
  },
  cores: () => coresAllowed(typeof availableParallelism === 'function' ? availableParallelism() : cpus().length, readCgroupQuota()),
}

function childChannel(child: ChildProcess): WorkerProcess {
  child.on('error', () => {}) // a send to an exited child; its exit is reported by onExit
  let exit: { code: number | null; signal: string | null } | undefined
  child.once('exit', (code, signal) => (exit = { code, signal }))
  return {
    pid: child.pid ?? -1,
    send: (message) => void (child.connected && child.send(message as object)),
    onMessage: (fn) => void child.on('message', fn),
    onClose: (fn) => void child.once('disconnect', fn),
    onExit: (fn) => (exit ? fn(exit.code, exit.signal) : void child.once('exit', (code, signal) => fn(code, signal))),
    kill: (signal) => void (child.exitCode === null && child.signalCode === null && child.kill(signal)),
  }
}

/** The cgroup's CPU quota in cores (v2 `cpu.max`, else v1 `cfs_quota_us`/`cfs_period_us`); undefined when unlimited or unknown. */
function readCgroupQuota(): number | undefined {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8').trim()
    } catch {
      return undefined
    }
  }
  const v2 = read('/sys/fs/cgroup/cpu.max')
  if (v2) return quotaCores(v2)
  const quota = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')
  const period = read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')
  return quota && period ? quotaCores(`${quota} ${period}`) : undefined
}

/** `"200000 100000"` → 2; `"max 100000"` or `"-1 100000"` → undefined (no quota). */
export function quotaCores(text: string): number | undefined {
  const [quota, period] = text.split(/\s+/).map(Number)
  if (!quota || !period || quota <= 0 || !Number.isFinite(quota)) return undefined
  return quota / period
}

/** Cores to use: the ones the affinity mask allows, at most the quota (rounded up: 1.5 cores → 2), at least 1. */
export function coresAllowed(affinity: number, quota: number | undefined): number {
  return Math.max(1, quota === undefined ? affinity : Math.min(affinity, Math.ceil(quota)))
}
