/**
 * `gatehouse start --config FILE` and `gatehouse check --config FILE`.
 * check: validates and exits 1 printing every bad field; start: the same, then serves until
 * SIGTERM/SIGINT (a second signal exits at once).
 */
import { loadConfig } from '../config/load.ts'
import { isConfigError } from '../config/errors.ts'
import { createGateway } from '../gateway/create-gateway.ts'
import { openDoors } from '../routing/open-doors.ts'
import { createLogger, type LogFormat } from '../log.ts'
import type { Runtime } from '../runtime/types.ts'
import type { CliCommand } from './args.ts'

const usage = (commands: Record<string, CliCommand>) =>
  [
    'usage: gatehouse <start|check> [--config gateway.config.ts] [--log json|text]',
    '  start   validate the config and serve it',
    '  check   validate the config; exit 1 and name every bad field if it is wrong',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`),
  ].join('\n')

/** `commands`: more commands, from plugins (bin/commands.ts composes them; core knows none). */
export async function main(runtime: Runtime, commands: Record<string, CliCommand> = {}): Promise<void> {
  const [command, ...rest] = runtime.args
  if (command && Object.hasOwn(commands, command)) return (await commands[command]!.load())(runtime, rest)
  const opts = parseFlags(rest)
  if (!opts || (command !== 'start' && command !== 'check')) {
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
  const log = createLogger((opts.log ?? runtime.env('GATEHOUSE_LOG') ?? 'text') as LogFormat)
  const gateway = createGateway(config, { runtime, log })
  try {
    await gateway.start()
  } catch (err) {
    // A port in use or not ours to bind is the user's to fix, not a crash: say which and why.
    const e = err as { code?: string; message?: string }
    const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EACCES' ? 'permission denied' : (e.message ?? String(err))
    console.error(`gatehouse: cannot listen on ${config.listen.host}:${config.listen.port}: ${why}`)
    await gateway.stop(0).catch(() => {})
    return runtime.exit(1)
  }
  let stopping = false
  const onSignal = () => {
    if (stopping) return runtime.exit(1)
    stopping = true
    log.info('stopping: draining in-flight requests')
    gateway.stop().then(() => runtime.exit(0))
  }
  runtime.onSignal('SIGTERM', onSignal)
  runtime.onSignal('SIGINT', onSignal)
}

function parseFlags(args: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const m = /^--(config|log)(?:=(.*))?$/.exec(args[i]!)
    if (!m) return undefined
    const value = m[2] ?? args[++i]
    if (value === undefined) return undefined
    out[m[1]!] = value
  }
  return out
}
