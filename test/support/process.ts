// Process helpers shared by the real-service test fixtures (dockerd, etcd,
// dnsmasq): start a daemon and keep the tail of its output so a failure can
// say *why*, run a CLI to completion, poll for readiness, find binaries.
import { spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { join, delimiter } from 'node:path'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface LoggedProcess {
  readonly name: string
  readonly pid: number
  readonly child: ChildProcess
  /** Last `lines` lines of combined stdout+stderr, for error messages. */
  tail(lines?: number): string
  running(): boolean
  /** Resolves when the process has exited (never rejects). Reading it re-refs
   *  the child, so `await proc.exited` keeps the test process alive meanwhile. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGTERM by PID, SIGKILL if still alive after graceMs. Idempotent. */
  stop(graceMs?: number): Promise<void>
}

// Daemons still alive when the test process exits (a test crashed before its
// t.after ran) are SIGKILLed so they do not outlive the run; then the
// synchronous hooks from onExit() run (leftover cleanup, temp dir removal).
const live = new Set<ChildProcess>()
const exitHooks = new Set<() => void>()
process.once('exit', () => {
  for (const child of live) if (child.pid) try { process.kill(child.pid, 'SIGKILL') } catch {}
  for (const hook of exitHooks) try { hook() } catch {}
})

// 'exit' does not fire when a signal kills the process (Ctrl-C, the test
// runner cancelling a file), so turn those into an exit, unless some other
// code handles the signal itself.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.once(signal, () => {
    if (process.listenerCount(signal) === 0) process.exit(code)
  })
}

/** Run `hook` (synchronously) when the test process exits; returns an unregister function. */
export function onExit(hook: () => void): () => void {
  exitHooks.add(hook)
  return () => exitHooks.delete(hook)
}

const MAX_LOG_CHARS = 64 * 1024
// Set GATEHOUSE_TEST_LOGS=1 to stream every daemon's output while debugging.
const echoLogs = process.env.GATEHOUSE_TEST_LOGS === '1'

/** Start a long-running process with stdin closed and its output captured. */
export function spawnLogged(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; name?: string } = {},
): LoggedProcess {
  const name = opts.name ?? cmd
  const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const onData = (chunk: Buffer) => {
    log += chunk.toString()
    if (log.length > MAX_LOG_CHARS) log = log.slice(-MAX_LOG_CHARS)
    if (echoLogs) process.stderr.write(`[${name}] ${chunk}`)
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  let spawnError: Error | undefined
  child.once('error', (err) => { spawnError = err })
  // 'exit', not 'close': a daemon's orphaned children (containerd shims) may
  // hold its stdio open long after it died, and stop() must not wait on them.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve({ code, signal })
    })
  })
  // Without a pid the binary could not be executed at all (ENOENT, EACCES).
  if (child.pid === undefined) throw new Error(`${name}: cannot execute ${cmd}`)
  live.add(child)
  const pid = child.pid
  // A daemon a test forgot to stop must not keep the test process alive
  // forever; the exit hook above kills it. Waiting for it is still safe:
  // stop() holds a ref'd timer and the `exited` getter re-refs the child.
  child.unref()
  ;(child.stdout as Socket).unref()
  ;(child.stderr as Socket).unref()

  let stopping: Promise<void> | undefined
  const proc: LoggedProcess = {
    name,
    pid,
    child,
    get exited() {
      child.ref()
      return exited
    },
    running: () => child.exitCode === null && child.signalCode === null && !spawnError,
    tail(lines = 40) {
      const all = (spawnError ? `${log}\n${spawnError.message}` : log).trimEnd().split('\n')
      return all.slice(-lines).join('\n')
    },
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (!proc.running()) return
        process.kill(pid, 'SIGTERM')
        const timer = setTimeout(() => { try { process.kill(pid, 'SIGKILL') } catch {} }, graceMs)
        // Through the getter, which re-refs the child: once the SIGKILL timer has fired, the unref'd
        // child alone would let the event loop end before its exit is seen (the test then fails as
        // "Promise resolution is still pending": churn.test.ts, whose hung upstream ignores SIGTERM).
        await proc.exited
        clearTimeout(timer)
      })()
      return stopping
    },
  }
  return proc
}

/**
 * Run a command to completion. A non-zero exit is returned, not thrown (tests
 * assert on it); only a spawn failure or the timeout rejects.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c })
    child.stderr.on('data', (c: Buffer) => { stderr += c })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${timeoutMs}ms\n${stderr}`))
    }, timeoutMs)
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })
    })
    child.stdin.on('error', () => {}) // the command may exit without reading stdin
    child.stdin.end(opts.input ?? '')
  })
}

/**
 * Poll `fn` until it returns something other than undefined/false. Errors it
 * throws count as "not yet" (the last one is reported on timeout); `abort`
 * returning a string stops early, e.g. when the daemon being waited on died.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs: number; intervalMs?: number; what?: string; abort?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  let lastError: unknown
  for (;;) {
    const reason = opts.abort?.()
    if (reason) throw new Error(`gave up waiting for ${opts.what ?? 'condition'}: ${reason}`)
    try {
      const value = await fn()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? `: ${(lastError as Error).message ?? lastError}` : ''
      throw new Error(`timed out after ${opts.timeoutMs}ms waiting for ${opts.what ?? 'condition'}${detail}`)
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100))
  }
}

/**
 * Absolute path of an executable, or undefined. Also looks in the sbin dirs:
 * dockerd and dnsmasq live there and a non-login CI shell may lack them in PATH.
 */
export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin']
  for (const dir of dirs) {
    if (!dir) continue
    const path = join(dir, cmd)
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  return undefined
}

/** Like which(), but a missing binary is a loud error: CI installs them all. */
export function requireBinary(cmd: string): string {
  const path = which(cmd)
  if (!path) throw new Error(`${cmd} not found in PATH or sbin: run .ci/install-deps.sh`)
  return path
}

/**
 * A fresh private dir. Always under /tmp (not $TMPDIR): daemons put unix
 * sockets in it and socket paths must stay under ~108 bytes.
 */
export function tempDir(prefix: string, opts: { removeOnExit?: boolean } = {}): string {
  const dir = mkdtempSync(join('/tmp', `${prefix}-`))
  if (opts.removeOnExit) onExit(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Environment without variables a daemon/CLI would pick up implicitly. */
export function cleanEnv(dropPrefixes: string[], extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!dropPrefixes.some((p) => k.startsWith(p))) env[k] = v
  }
  return { ...env, ...extra }
}
