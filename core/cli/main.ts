/**
 * `gatehouse start --config FILE`, `gatehouse check --config FILE` and `gatehouse reload`.
 * check: validates and exits 1 printing every bad field; start: the same, then serves until
 * SIGTERM/SIGINT (a second signal exits at once), reloading the config on SIGHUP (and on a change
 * of the file with --watch); reload: sends SIGHUP to the gateway named by --pid-file.
 */
import { loadConfig } from '../config/load.ts'
import { isConfigError } from '../config/errors.ts'
import { createGateway } from '../gateway/create-gateway.ts'
import { openDoors } from '../routing/open-doors.ts'
import { createLogger, type LogFormat } from '../log.ts'
import type { Runtime } from '../runtime/types.ts'
import type { CliCommand } from './args.ts'
import { configReloader, sendReload, watchConfig } from './reload.ts'
import { planWorkers } from '../workers/plan.ts'
import { Workers } from '../workers/primary.ts'
import { runWorker } from '../workers/worker.ts'

const usage = (commands: Record<string, CliCommand>) =>
  [
    'usage: gatehouse <start|check> [--config gateway.config.ts] [--log json|text]',
    '  start   validate the config and serve it; SIGHUP reloads it',
    '          [--watch]           also reload when the config file changes',
    '          [--pid-file FILE]   write the process id there (for gatehouse reload)',
    '  check   validate the config; exit 1 and name every bad field if it is wrong',
    '  reload  --pid-file FILE: make the running gateway reload its config (sends it SIGHUP)',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`),
  ].join('\n')

/** `commands`: more commands, from plugins (bin/commands.ts composes them; core knows none). */
export async function main(runtime: Runtime, commands: Record<string, CliCommand> = {}): Promise<void> {
  const [command, ...rest] = runtime.args
  if (command && Object.hasOwn(commands, command)) return (await commands[command]!.load())(runtime, rest)
  const opts = parseFlags(rest)
  if (command === 'reload' && opts) return reload(runtime, opts)
  if (command === WORKER_COMMAND && opts) return worker(runtime, opts)
  if (!opts || (command !== 'start' && command !== 'check') || (command === 'check' && (opts.watch || opts['pid-file']))) {
    console.error(usage(commands))
    return runtime.exit(2)
  }
  const file = opts.config ?? 'gateway.config.ts'
  let config
  try {
    config = await loadConfig(() => runtime.importModule(file), file)
  } catch (err) {
    if (!isConfigError(err)) throw err
    console.error(`gatehouse: ${err.message}`)
    return runtime.exit(1)
  }
  if (command === 'check') {
    console.log(`gatehouse: ${file} is valid (${Object.keys(config.pools).length} pools, ${config.routes.length} routes)`)
    for (const warning of openDoors(config.routes)) console.error(`gatehouse: warning: ${warning}`)
    return
  }
  const logFormat = (opts.log ?? runtime.env('GATEHOUSE_LOG') ?? 'text') as LogFormat
  const log = createLogger(logFormat)
  const plan = planWorkers(config, runtime)
  if (plan.note) log.warn(plan.note)
  const gateway = createGateway(config, { runtime, log, role: plan.count ? 'primary' : 'single' })
  const workers = plan.count
    ? new Workers({ spawner: runtime.workers!, count: plan.count, args: [WORKER_COMMAND, '--config', file, '--log', logFormat], gateway, log, port: config.listen.port })
    : undefined
  workers?.follow()
  try {
    await gateway.start()
    if (workers) {
      // Workers share the port by SO_REUSEPORT, which would as well share it with any process of this
      // user that holds it so: bind it once without, to fail on a port in use as a single process does.
      const probe = await runtime.serve(() => new Response(null), { port: config.listen.port, hostname: config.listen.host })
      await probe.close(0)
      const port = await workers.start()
      log.info(`gatehouse listening on http://${config.listen.host}:${port} with ${plan.count} workers (${runtime.name}, primary pid ${runtime.pid})`)
    }
  } catch (err) {
    // A port in use or not ours to bind is the user's to fix, not a crash: say which and why.
    const e = err as { code?: string; message?: string }
    const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EACCES' ? 'permission denied' : (e.message ?? String(err))
    console.error(`gatehouse: cannot listen on ${config.listen.host}:${config.listen.port}: ${why}`)
    await workers?.stop(0)
    await gateway.stop(0).catch(() => {})
    return runtime.exit(1)
  }
  const pidFile = opts['pid-file']
  if (pidFile) await runtime.writeTextFile(pidFile, `${runtime.pid}\n`)
  // With workers, each loads the file again once the primary has taken it (a bad file never reaches them).
  const reloading = workers ? { state: gateway.state, reload: (c: typeof config) => gateway.reload(c).then(async (r) => (await workers.reload(), r)) } : gateway
  const reloadConfig = configReloader({ gateway: reloading, log, file, load: () => loadConfig(() => runtime.importModule(file), file) })
  runtime.onSignal('SIGHUP', () => void reloadConfig('SIGHUP'))
  const stopWatching = new AbortController()
  if (opts.watch) watchConfig(runtime.io.files, file, () => void reloadConfig('file changed'), log, stopWatching.signal)
  let stopping = false
  const onSignal = () => {
    if (stopping) return runtime.exit(1)
    stopping = true
    stopWatching.abort()
    log.info('stopping: draining in-flight requests')
    const grace = gateway.state().config.shutdown.grace
    Promise.resolve(workers?.stop(grace))
      .then(() => gateway.stop())
      .then(() => (pidFile ? runtime.removeFile(pidFile) : undefined))
      .finally(() => runtime.exit(0))
  }
  runtime.onSignal('SIGTERM', onSignal)
  runtime.onSignal('SIGINT', onSignal)
}

/** The hidden command a primary starts its workers with (core/workers/worker.ts). */
const WORKER_COMMAND = '__worker'

async function worker(runtime: Runtime, opts: Record<string, string>): Promise<void> {
  const file = opts.config ?? 'gateway.config.ts'
  // Its lines go to the same stdout as the primary's: say whose they are.
  const base = createLogger((opts.log ?? 'text') as LogFormat)
  const tag = (m: string) => `worker pid ${runtime.pid}: ${m}`
  const log = { info: (m: string, f?: Record<string, unknown>) => base.info(tag(m), f), warn: (m: string, f?: Record<string, unknown>) => base.warn(tag(m), f), error: (m: string, f?: Record<string, unknown>) => base.error(tag(m), f) }
  await runWorker({ runtime, log, load: () => loadConfig(() => runtime.importModule(file), file) })
}

/** `gatehouse reload --pid-file FILE`. */
async function reload(runtime: Runtime, opts: Record<string, string>): Promise<void> {
  const pidFile = opts['pid-file']
  if (!pidFile || opts.config || opts.watch) {
    console.error('usage: gatehouse reload --pid-file FILE   (the file `gatehouse start --pid-file FILE` wrote)')
    return runtime.exit(2)
  }
  try {
    console.log(`gatehouse: ${await sendReload(await runtime.io.files.readText(pidFile), (pid) => runtime.kill(pid, 'SIGHUP'))}`)
  } catch (err) {
    const e = err as { code?: string; message?: string }
    const why = e.code === 'ENOENT' ? `${pidFile} does not exist (is gatehouse running with --pid-file ${pidFile}?)` : e.code === 'ESRCH' ? `no process has the pid in ${pidFile} (a gateway that stopped?)` : (e.message ?? String(err))
    console.error(`gatehouse: cannot reload: ${why}`)
    return runtime.exit(1)
  }
}

/** `--config F`, `--log F`, `--pid-file F` take a value; `--watch` does not. */
function parseFlags(args: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--watch') {
      out.watch = 'true'
      continue
    }
    const m = /^--(config|log|pid-file)(?:=(.*))?$/.exec(args[i]!)
    if (!m) return undefined
    const value = m[2] ?? args[++i]
    if (value === undefined) return undefined
    out[m[1]!] = value
  }
  return out
}
