/**
 * Docker discovery (seeds 002 and 003: Synapse's Docker watcher, Registrator): containers become
 * upstreams as they start and leave as they stop, with no config edit and no restart.
 *
 * Under a pool, the pool gets the selected containers. At the top level, each container's labels
 * say its pool and, optionally, a route (`gatehouse.host`, `gatehouse.path`), so deploying a new
 * app needs no edit of gateway.config.ts. Labels are listed in `labels.ts`; how a port and an
 * address are chosen, in `endpoint.ts`.
 *
 * How it stays current: it subscribes to Docker's events, then lists containers. A stop signal
 * (`kill` event) takes a container out at once, before it exits, so a rolling deploy drops no
 * request; `start`/`unpause` bring it in; a HEALTHCHECK is respected (only `healthy` serves once a
 * container has one; `health_status` events flip it). If the stream breaks it reconnects with
 * backoff and re-lists, serving the last snapshot meanwhile; a full re-list every `resync` catches
 * anything missed. A container with a bad label is skipped with a logged reason; others never suffer.
 *
 * Scaling (scaler.ts; the core decides when, from the pool's `scale` or its `gatehouse.scale.*`
 * labels): stopped and paused containers are the pool's asleep replicas. A stopped one keeps its
 * pool and route in the snapshot (the core answers its requests by waking it) when the gateway
 * takes the scaler. Waking unpauses, then starts, then (with `scale.clone`) clones the pool's
 * newest container; sleeping stops or pauses the replicas above the target, clones first, and
 * removes stopped clones. A `--network host` app is cloned on a port of its own, given to it as
 * `PORT` (and the `gatehouse.port` label): it must listen on $PORT. Waking a pool from zero first
 * starts its `gatehouse.group`'s other containers (compose `depends_on` order, waiting for their
 * HEALTHCHECK); sleeping stops only the pool's own containers.
 *
 * @example
 * import { docker } from 'gatehouse/plugins/docker'
 * export default defineConfig({
 *   // seed 002: containers of an image, by container port
 *   pools: { web: { discovery: docker({ image: 'local/nodeapp', containerPort: 8000 }) } },
 *   // or: containers labelled gatehouse.pool=api (the default under pools.api)
 *   //   pools: { api: { discovery: docker() } },
 *   // apps that bring their own routes: docker run -l gatehouse.host=app1.example.com -l gatehouse.port=8000 …
 *   discovery: [docker({ label: 'gatehouse.enable=true' })],
 *   routes: [{ path: '/*', pool: 'web' }],
 * })
 */
import { z } from 'zod'
import { duration } from '../../core/config/duration.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import type { DiscoveryPlugin } from '../../core/types.ts'
import { dockerApi } from './client.ts'
import { engineOptions } from './engine/options.ts'
import type { Replica } from './replicas.ts'
import { dockerScaler } from './scaler.ts'
import { selection } from './select.ts'
import { watch } from './watch.ts'

const optionsSchema = z.strictObject({
  /** The Docker socket. Default: DOCKER_HOST (unix://, tcp://), else /var/run/docker.sock. */
  socketPath: engineOptions.socketPath,
  /** Take containers with these labels ("key=value", or "key" for present; all must match). Default under a pool: "gatehouse.pool=<pool>"; at the top level: any "gatehouse.*" label. */
  label: engineOptions.label,
  /** Take containers of this image ("myapp" = any tag; "myapp:1.2" = that tag). Combines with label. */
  image: z.string().min(1).optional(),
  /** The container port to use when a container has no gatehouse.port label. Default: its only exposed port. */
  containerPort: z.number().int().min(1).max(65535).optional(),
  /** Take addresses on this Docker network (the gateway runs on it too). Default: the published port, else the only network. */
  network: engineOptions.network,
  /** The Docker host as the gateway reaches it: for --network host containers and ports published on all interfaces. Default 127.0.0.1. */
  hostAddress: engineOptions.hostAddress,
  /** Prefix of the labels read. Default "gatehouse". */
  prefix: engineOptions.prefix,
  /** Full re-list, the safety net for missed events. Default 30s. */
  resync: engineOptions.resync,
  /** Longest wait between attempts to reconnect to Docker (they start at 100ms and double). Default 5s. */
  reconnect: engineOptions.reconnect,
  /** Deadline of one list or inspect call. Default 10s. */
  timeout: engineOptions.timeout,
  /** Scaling in: how long a replica has between its stop signal and its kill (whole seconds, rounded up). Default 5s. */
  stopGrace: duration().default(5_000),
  /** Waking a pool: how long, at most, its group's containers get to become healthy before it starts. Default 60s. */
  groupTimeout: duration().default(60_000),
})

export type DockerOptions = z.input<typeof optionsSchema>

export function docker(options: DockerOptions = {}): DiscoveryPlugin {
  return definePlugin('discovery', 'docker', optionsSchema, options, (opts) => {
    return {
      async start({ emit, signal, pool, log, io, scaler }) {
        if (signal.aborted) return
        const api = dockerApi({ socketPath: opts.socketPath, timeoutMs: opts.timeout, agent: io.httpAgent({ maxFreeSockets: 4 }) })
        const settings = {
          pool,
          prefix: opts.prefix,
          selection: selection({ label: opts.label, image: opts.image, prefix: opts.prefix }, pool),
          containerPort: opts.containerPort,
          network: opts.network,
          hostIp: opts.hostAddress,
          // Asleep containers keep their routes only where something can wake them.
          keepStopped: scaler !== undefined,
        }
        let replicas: Record<string, Replica[]> = {}
        const scaling = { prefix: opts.prefix, topLevel: pool === undefined, stopGraceS: Math.ceil(opts.stopGrace / 1000), groupTimeoutMs: opts.groupTimeout }
        scaler?.(dockerScaler(api, () => replicas, scaling, { log, signal }))
        const where = opts.socketPath ?? io.env('DOCKER_HOST') ?? '/var/run/docker.sock'
        const watching = { translate: settings, resyncMs: opts.resync, reconnectMaxMs: opts.reconnect, where, replicas: (r: typeof replicas) => void (replicas = r) }
        await watch(api, watching, { emit, signal, log })
      },
    }
  })
}

export default docker
