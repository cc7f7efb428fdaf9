/**
 * `gatehouse register`: puts one instance into etcd for as long as this process runs, so every
 * gateway reading etcd (the `etcd` discovery plugin) serves it. The key lives on an etcd lease that
 * the process keeps alive: SIGTERM/SIGINT revoke it (the key is gone at once); a process that dies
 * without a word (SIGKILL, a crashed host) drops out when the lease expires, within `--ttl`.
 *
 *     gatehouse register --etcd http://127.0.0.1:2379 --pool web --url http://10.0.0.5:8000
 *       → /gatehouse/pools/web/10.0.0.5:8000 = {"url":"http://10.0.0.5:8000"}
 *     gatehouse register --etcd … --prefix /app/servers/ --name app1 --url http://10.0.0.5:8000
 *       → /app/servers/app1 (seed 004's layout; read by etcd({ prefix: '/app/servers/' }) under a pool)
 */
import { parseArgs, logFormat } from '../../core/cli/args.ts'
import { parseDuration } from '../../core/config/duration.ts'
import { createLogger } from '../../core/log.ts'
import { upstreamInputSchema } from '../../core/pools/upstream-input.ts'
import type { Runtime } from '../../core/runtime/types.ts'
import type { Logger } from '../../core/types.ts'
import { encodeUpstream, keyName } from './encode.ts'
import { keepRegistered, type Registration } from './registration.ts'
import { planCheck, watchInstance, type InstanceCheck } from './instance-check.ts'

export const REGISTER_USAGE = `usage: gatehouse register --etcd URL[,URL…] --url URL (--pool NAME | --prefix /dir/) [options]
  --etcd URL[,URL…]  etcd client URLs (also: GATEHOUSE_ETCD)
  --url URL          the instance, e.g. http://10.0.0.5:8000
  --pool NAME        its pool: the key is /gatehouse/pools/NAME/<name>
  --prefix /dir/     put the key directly under this directory instead (e.g. /app/servers/)
  --name NAME        the key's last segment (default: the URL's host:port)
  --ttl 10s          lease time to live: how long a killed process stays listed (default 10s)
  --weight N         relative share of traffic (default 1)
  --label k=v        an upstream label (repeatable)
  --check-url URL    the instance's health URL: while it fails (no answer, or 400 and up) the key is withdrawn
  --check-pid PID    the instance's process: when it is gone, the key is withdrawn and register exits
  --check-interval 5s  how often the check runs (the key goes within one interval)
  --log json|text    log format (default text)`

/** `--ttl` → whole seconds (etcd's unit), at least 1. */
export function ttlSeconds(text: string | undefined): number | string {
  const ms = parseDuration(text ?? '10s')
  if (ms === undefined || ms < 1000) return `--ttl: expected a duration of at least 1s like "10s", got "${text}"`
  return Math.ceil(ms / 1000)
}

export function endpointsOf(text: string | undefined): string[] | string {
  const list = (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  if (!list.length) return '--etcd: expected etcd client URLs like http://127.0.0.1:2379'
  for (const e of list) if (!URL.canParse(e) || !/^https?:$/.test(new URL(e).protocol)) return `--etcd: "${e}" is not a URL like http://127.0.0.1:2379`
  return list
}

export interface RegisterPlan {
  endpoints: string[]
  key: string
  value: string
  ttl: number
  check?: InstanceCheck
}

/** Validates the flags into what to write; a string is the problem to print. */
export function planRegister(args: readonly string[], env: (name: string) => string | undefined): RegisterPlan | string {
  const parsed = parseArgs(args, ['etcd', 'url', 'pool', 'prefix', 'name', 'ttl', 'weight', 'log', 'check-url', 'check-pid', 'check-interval'], ['label'])
  if (typeof parsed === 'string') return parsed
  const { flags, lists } = parsed
  const endpoints = endpointsOf(flags.etcd ?? env('GATEHOUSE_ETCD'))
  if (typeof endpoints === 'string') return endpoints
  const url = upstreamInputSchema.safeParse(flags.url ?? '')
  if (!url.success || typeof url.data !== 'string') return `--url: expected an upstream URL like http://10.0.0.5:8000 (http or https, no path), got "${flags.url ?? ''}"`
  if (flags.prefix !== undefined && !flags.prefix.endsWith('/')) return `--prefix: expected a directory ending in "/", like /app/servers/`
  if (flags.prefix === undefined && !flags.pool) return '--pool NAME (or --prefix /dir/) is required'
  if (flags.pool !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(flags.pool)) return `--pool: "${flags.pool}" is not a pool name (letters, digits, ".", "_", "-")`
  const weight = flags.weight === undefined ? 1 : Number(flags.weight)
  if (!Number.isInteger(weight) || weight < 1 || weight > 1000) return `--weight: expected a whole number from 1 to 1000, got "${flags.weight}"`
  const labels: Record<string, string> = {}
  for (const l of lists.label ?? []) {
    const eq = l.indexOf('=')
    if (eq < 1) return `--label: expected key=value, got "${l}"`
    labels[l.slice(0, eq)] = l.slice(eq + 1)
  }
  const ttl = ttlSeconds(flags.ttl)
  if (typeof ttl === 'string') return ttl
  const check = planCheck(flags)
  if (typeof check === 'string') return check
  const name = keyName(flags.name ?? new URL(url.data).host)
  const dir = flags.prefix ?? `/gatehouse/pools/${flags.pool}/`
  return { endpoints, key: `${dir}${name}`, value: encodeUpstream({ url: url.data, weight, labels }), ttl, ...(check && { check }) }
}

/** Runs until SIGTERM/SIGINT, then revokes the lease and exits 0 (a second signal exits 1 at once). */
export async function register(runtime: Runtime, args: readonly string[]): Promise<void> {
  if (args.includes('--help')) return void console.log(REGISTER_USAGE)
  const plan = planRegister(args, runtime.env)
  if (typeof plan === 'string') {
    console.error(`gatehouse register: ${plan}\n${REGISTER_USAGE}`)
    return runtime.exit(2)
  }
  const log = createLogger(logFormat(runtime, args))
  const reg = keepRegistered({ endpoints: plan.endpoints, timeout: 2_000, ttl: plan.ttl, log })
  const keys = new Map([[plan.key, plan.value]])
  if (!plan.check) {
    reg.set(keys)
    return exitOnSignal(runtime, log, reg)
  }
  const { check } = plan
  const what = check.pid !== undefined ? `PID ${check.pid}` : check.url
  const stopWatching = watchInstance(check, runtime, (state) => {
    if (state === 'passing') log.info(`instance ${what} passes its check: registering ${plan.key}`)
    else log.warn(`instance ${what} ${state === 'gone' ? 'is gone' : 'fails its check'}: withdrawing ${plan.key}`)
    reg.set(state === 'passing' ? keys : new Map())
    if (state === 'gone') reg.close().then((told) => runtime.exit(told ? 0 : 1))
  })
  exitOnSignal(runtime, log, reg, stopWatching)
}

/** SIGTERM/SIGINT: revoke the lease, then exit 0; a second signal exits 1 at once. */
export function exitOnSignal(runtime: Runtime, log: Logger, reg: Registration, before?: () => Promise<void> | void): void {
  let stopping = false
  const onSignal = () => {
    if (stopping) return runtime.exit(1)
    stopping = true
    log.info('stopping: revoking the etcd lease')
    Promise.resolve(before?.())
      .then(() => reg.close())
      .then((told) => runtime.exit(told ? 0 : 1))
  }
  runtime.onSignal('SIGTERM', onSignal)
  runtime.onSignal('SIGINT', onSignal)
}
