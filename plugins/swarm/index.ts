/**
 * Docker Swarm discovery: each running task of a service is an upstream, live as Swarm places,
 * scales, restarts and updates them; and a Scaler, so the core can scale a service to zero, wake
 * it and scale it with load (core/plugin/scaler.ts; this plugin only acts, by setting the
 * service's replicas: scaler.ts).
 *
 * Under a pool, the pool gets the tasks of the service named by `service` (default: the services
 * labelled `gatehouse.pool=<pool>`). At the top level, each service with `gatehouse.*` labels
 * serves the pool its `gatehouse.pool` label names (default: the service name), and may bring a
 * route (`gatehouse.host`, `gatehouse.path`, `gatehouse.stripPrefix`). These are service labels
 * (`docker service create -l`), listed in `labels.ts`. A task's port comes from `gatehouse.port`,
 * which may use Swarm's `{{.Task.Slot}}` like `--env` does; its address, for a host-network
 * service, is its node's (`hostAddress` for this Docker's own node): `endpoint.ts`. Overlay
 * networks work too (`network`), when the gateway itself runs on that network.
 *
 * How it stays current: it subscribes to Docker's service, node and container events, then lists
 * services, tasks and nodes; each event re-lists, and while Swarm converges (a scale, a rolling
 * update) it re-reads tasks every `convergeEvery` (bounded: watch.ts). A task whose desired state
 * leaves `running` (scale-in, rolling update) leaves its pool at once, before Docker stops its
 * container, so `docker service update --image …` loses no request (a connect refused by a task
 * just starting is retried on another). If the stream breaks it reconnects with backoff and
 * re-lists, serving the last snapshot meanwhile; a full re-list every `resync` catches anything
 * missed. The Docker it talks to must be a swarm manager.
 *
 * Host networking with a port per slot has one catch, Swarm's own: a slot's port stays taken until
 * its old task's container exits (after `--stop-grace-period`). A task started in that slot sooner
 * (a scale-out right after a scale-in, a wake right after a sleep) fails to bind, and Swarm starts
 * another after its restart delay (5 s by default); for the same reason such services need the
 * default `--update-order stop-first`.
 *
 * @example
 * import { swarm } from 'gatehouse/plugins/swarm'
 * // docker service create --name app --network host --replicas 2 \
 * //   --env PORT=180{{.Task.Slot}} -l gatehouse.port=180{{.Task.Slot}} -l gatehouse.scale.min=0 myapp
 * export default defineConfig({
 *   pools: { app: { discovery: swarm({ service: 'app' }) } },
 *   // or apps that bring their own routes: docker service create -l gatehouse.host=app1.example.com …
 *   discovery: [swarm()],
 *   routes: [{ path: '/*', pool: 'app' }],
 * })
 */
import { z } from 'zod'
import { duration } from '../../core/config/duration.ts'
import { engineOptions } from '../docker/engine/options.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import type { DiscoveryPlugin } from '../../core/types.ts'
import { swarmApi } from './client.ts'
import { swarmScaler } from './scaler.ts'
import { selection } from './select.ts'
import { watcher } from './watch.ts'

const optionsSchema = z.strictObject({
  /** The Docker socket of a swarm manager. Default: DOCKER_HOST (unix://, tcp://), else /var/run/docker.sock. */
  socketPath: engineOptions.socketPath,
  /** Take the service of this name. Combines with label. */
  service: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected a service name like "app"' }).optional(),
  /** Take services with these service labels ("key=value", or "key" for present; all must match). Default under a pool: "gatehouse.pool=<pool>" (unless `service` is set); at the top level: any "gatehouse.*" label. */
  label: engineOptions.label,
  /** The tasks' port when a service has no gatehouse.port label. Default: the one port a task publishes in host mode. */
  port: z.number().int().min(1).max(65535).optional(),
  /** Take task addresses on this Swarm network (an overlay the gateway is attached to too). Default: host networking, else a port published in host mode, else the task's only network. */
  network: engineOptions.network,
  /** This Docker's node as the gateway reaches it: the address of host-network tasks on it (and on a one-node swarm). Other nodes: their Status.Addr. Default 127.0.0.1. */
  hostAddress: engineOptions.hostAddress,
  /** Prefix of the labels read. Default "gatehouse". */
  prefix: engineOptions.prefix,
  /** Full re-list, the safety net for missed events (and the only news of a task failing on another node without a service change). Default 30s. */
  resync: engineOptions.resync,
  /** While Swarm converges (tasks starting or stopping, an update rolling), re-read tasks this often. Default 200ms. */
  convergeEvery: duration()
    .default(200)
    .refine((ms) => ms >= 50, { error: 'expected at least 50ms' }),
  /** Re-reads stop this long after the last service or node event or scale (a rolling update is followed to its end). Default 2m. */
  convergeFor: duration()
    .default(120_000)
    .refine((ms) => ms >= 1000, { error: 'expected at least 1s' }),
  /** Longest wait between attempts to reconnect to Docker (they start at 100ms and double). Default 5s. */
  reconnect: engineOptions.reconnect,
  /** Deadline of one Docker API call. Default 10s. */
  timeout: engineOptions.timeout,
})

export type SwarmOptions = z.input<typeof optionsSchema>

export function swarm(options: SwarmOptions = {}): DiscoveryPlugin {
  return definePlugin('discovery', 'swarm', optionsSchema, options, (opts) => {
    return {
      async start({ emit, signal, pool, log, io, scaler }) {
        if (signal.aborted) return
        const api = swarmApi({ socketPath: opts.socketPath, timeoutMs: opts.timeout, agent: io.httpAgent({ maxFreeSockets: 4 }) })
        const translate = {
          pool,
          prefix: opts.prefix,
          selection: selection({ label: opts.label, service: opts.service, prefix: opts.prefix }, pool),
          port: opts.port,
          network: opts.network,
          hostIp: opts.hostAddress,
        }
        const where = opts.socketPath ?? io.env('DOCKER_HOST') ?? '/var/run/docker.sock'
        const w = watcher(
          api,
          { translate, resyncMs: opts.resync, reconnectMaxMs: opts.reconnect, convergeEveryMs: opts.convergeEvery, convergeForMs: opts.convergeFor, where },
          { emit, signal, log },
        )
        scaler?.(swarmScaler(api, w, log, opts.prefix))
        await w.start()
      },
    }
  })
}

export default swarm
