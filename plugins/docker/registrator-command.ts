/**
 * `gatehouse registrator`: seed 003's Registrator for etcd. It follows the local Docker engine
 * exactly as the `docker` discovery plugin does (the same labels, watch, `kill`-before-exit and
 * HEALTHCHECK handling: it reuses that plugin's watch and pure translation) and, instead of
 * serving, mirrors each snapshot into etcd under one lease. Run one per Docker host; any number
 * of gateways read the shared etcd with the `etcd` plugin at the top level.
 *
 *     docker run -d -l gatehouse.pool=web -l gatehouse.port=8000 -p 8000 myapp
 *     gatehouse registrator --etcd http://10.0.0.2:2379 --host-address 10.0.0.5
 *       → /gatehouse/pools/web/<host>-<container id> = {"url":"http://10.0.0.5:49153","labels":{…}}
 *       → /gatehouse/routes/<host>/web-<hash> = the route of a container with gatehouse.host/path labels
 *
 * SIGTERM/SIGINT revoke the lease (this host's keys go at once); a registrator that dies without a
 * word leaves etcd within `--ttl`. If Docker goes away, the last keys stay until it is back.
 */
import { parseArgs, logFormat } from '../../core/cli/args.ts'
import { createLogger } from '../../core/log.ts'
import type { Runtime } from '../../core/runtime/types.ts'
import { snapshotToKeys } from '../etcd/encode.ts'
import { endpointsOf, exitOnSignal, ttlSeconds } from '../etcd/register-command.ts'
import { keepRegistered } from '../etcd/registration.ts'
import { dockerApi } from './client.ts'
import { POOL_NAME } from './labels.ts'
import { selection } from './select.ts'
import { watch } from './watch.ts'

export const REGISTRATOR_USAGE = `usage: gatehouse registrator --etcd URL[,URL…] [options]
  --etcd URL[,URL…]       etcd client URLs (also: GATEHOUSE_ETCD)
  --docker-socket PATH    the Docker engine (default: DOCKER_HOST, else /var/run/docker.sock)
  --host-address IP       this host as gateways reach it, for published ports and --network host (default 127.0.0.1)
  --ttl 10s               lease time to live: how long a dead registrator's containers stay listed (default 10s)
  --label KEY[=VALUE]     only containers with this label (repeatable; default: any gatehouse.* label)
  --prefix /dir/          pools directory (default /gatehouse/pools/: <dir><pool>/<name>)
  --routes-prefix /dir/   routes directory, or "false" for none (default /gatehouse/routes/)
  --name NAME             this host in key names (default: the host name)
  --log json|text         log format (default text)`

export async function registrator(runtime: Runtime, args: readonly string[]): Promise<void> {
  if (args.includes('--help')) return void console.log(REGISTRATOR_USAGE)
  const parsed = parseArgs(args, ['etcd', 'docker-socket', 'host-address', 'ttl', 'prefix', 'routes-prefix', 'name', 'log'], ['label'])
  const fail = (problem: string) => (console.error(`gatehouse registrator: ${problem}\n${REGISTRATOR_USAGE}`), runtime.exit(2))
  if (typeof parsed === 'string') return fail(parsed)
  const { flags, lists } = parsed
  const endpoints = endpointsOf(flags.etcd ?? runtime.env('GATEHOUSE_ETCD'))
  if (typeof endpoints === 'string') return fail(endpoints)
  const ttl = ttlSeconds(flags.ttl)
  if (typeof ttl === 'string') return fail(ttl)
  const poolsPrefix = flags.prefix ?? '/gatehouse/pools/'
  const routesPrefix = flags['routes-prefix'] === 'false' ? false : (flags['routes-prefix'] ?? '/gatehouse/routes/')
  if (!poolsPrefix.endsWith('/') || (routesPrefix && !routesPrefix.endsWith('/'))) return fail('--prefix and --routes-prefix: expected a directory ending in "/"')
  const instance = flags.name ?? runtime.io.hostname()
  if (!POOL_NAME.test(instance)) return fail(`--name: "${instance}" may only hold letters, digits, ".", "_" and "-"`)

  const log = createLogger(logFormat(runtime, args))
  const reg = keepRegistered({ endpoints, timeout: 2_000, ttl, log })
  const stop = new AbortController()
  const socketPath = flags['docker-socket']
  const api = await dockerApi({ socketPath, timeoutMs: 10_000, agent: runtime.io.httpAgent() })
  const where = socketPath ?? runtime.env('DOCKER_HOST') ?? '/var/run/docker.sock'
  const settings = {
    translate: { prefix: 'gatehouse', selection: selection({ label: lists.label, prefix: 'gatehouse' }, undefined), hostIp: flags['host-address'] ?? '127.0.0.1' },
    resyncMs: 30_000,
    reconnectMaxMs: 5_000,
    where,
  }
  exitOnSignal(runtime, log, reg, () => stop.abort())
  log.info(`registrator: following Docker at ${where}, writing to etcd ${endpoints.join(',')} as "${instance}" (lease ttl ${ttl}s)`)
  await watch(api, settings, {
    emit: (snapshot) => reg.set(snapshotToKeys(snapshot, { poolsPrefix, routesPrefix, instance })),
    signal: stop.signal,
    log,
  })
}
