/**
 * The gateway config: zod is the single source of truth at run time (defaults live here);
 * `GatewayConfigInput` is what users write, `GatewayConfig` what the core receives.
 */
import { z } from 'zod'
import ipaddr from 'ipaddr.js'
import { roundRobin } from '../pools/round-robin.ts'
import { duration } from './duration.ts'
import { pluginList, pluginOneOrList, pluginSlot } from '../plugin/slots.ts'
import { routeSchema } from './route-schema.ts'
import { limitsSchema } from './limits-schema.ts'
import { tlsSchema } from './tls-schema.ts'
import { http2Schema } from './http2-schema.ts'
import { upstreamListSchema } from '../pools/upstream-input.ts'
import { scaleSchema } from './scale-schema.ts'
import { releaseSchema } from './release-schema.ts'

/** Pool names: letters, digits, `_`, `.`, `-` (used in logs, metrics and discovery keys). */
export const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
export const poolName = z.string().regex(POOL_NAME, { error: 'expected a pool name of letters, digits, "_", "." or "-"' })

const cidr = z.string().refine(
  (s) => {
    try {
      s.includes('/') ? ipaddr.parseCIDR(s) : ipaddr.parse(s)
      return true
    } catch {
      return false
    }
  },
  { error: 'expected an IP address or CIDR like "10.0.0.0/8"' },
)

export const timeoutsSchema = z
  .strictObject({
    /** TCP connect to an upstream. Default 5s; 504 when exceeded. */
    connect: duration().default(5_000),
    /** From request sent to response headers. Default 60s; 504. */
    firstByte: duration().default(60_000),
    /** Between two body chunks of the response. Default 60s. */
    idle: duration().default(60_000),
    /** Whole exchange, first byte to last. Default none (SSE and downloads may run long). */
    total: duration().optional(),
  })
  .prefault({})

export const poolSchema = z
  .strictObject({
    /** Static upstreams (shorthand for discovery: staticUpstreams([...])). */
    upstreams: upstreamListSchema.optional(),
    /** Where the pool's upstreams come from; several sources are merged. */
    discovery: pluginOneOrList('discovery')
      .optional()
      .transform((d) => d ?? []),
    /** How an upstream is chosen. Default roundRobin(). */
    balancer: pluginSlot('balancer').default(() => roundRobin()),
    /**
     * HTTP/2 to every upstream of the pool whose URL does not name its own (h2c://, h2://, or
     * Docker's `gatehouse.protocol` label, which win): `'h2c'` cleartext with prior knowledge (gRPC
     * behind DNS SRV or a host:port list), `'h2'` over TLS by ALPN (an http:// URL then means TLS,
     * as h2:// would). Default `'http1'`.
     */
    protocol: z.enum(['http1', 'h2c', 'h2'], { error: 'expected "http1", "h2c" or "h2"' }).default('http1'),
    /** Further tries on another upstream after a connection failure. Default 2. */
    retries: z.number().int({ error: 'expected a whole number from 0 to 10' }).min(0).max(10).default(2),
    /** Also retry idempotent requests on another upstream when it answers one of these statuses (e.g. [502, 503]). Default none. */
    retryOn: z
      .array(z.number().int().min(500).max(599))
      .default([]),
    /** When no upstream is available: answer 503 at once (default) or wait briefly for one. */
    queue: z
      .strictObject({
        /** How long a request may wait for an available upstream. Default 0: 503 at once. */
        timeout: duration().default(0),
        /** Requests waiting at most; more get 503 at once. Default 1000. */
        max: z.number().int().min(1).max(100_000).default(1000),
      })
      .prefault({}),
    /** Ramp a new upstream's weight up over this time (weighted balancers). Default 0: off. */
    slowStart: duration().default(0),
    /** Active checks, e.g. activeHealth({ path: "/", interval: "2s" }). Default none. */
    health: pluginSlot('health').optional(),
    /** Passive health on real traffic, e.g. outlierDetection(). Default none. */
    outlier: pluginSlot('outlier').optional(),
    /** Upstream timeouts: `{ connect: '5s', firstByte: '60s', idle: '60s', total? }`; each exceeded → 504. */
    timeouts: timeoutsSchema,
    /**
     * Sleep when idle, wake on the first request, scale with load: `{ min: 0, idle: '5m', wake: { timeout: '30s' } }`.
     * Needs a discovery source that can start and stop replicas (docker(), swarm()). Default none
     * (or the `gatehouse.scale.*` labels of the pool's replicas).
     */
    scale: scaleSchema.optional(),
    /**
     * Versions and progressive delivery: upstreams grouped by a label (`by: 'version'`), traffic
     * split by weight, sticky clients, tester overrides, and canaries promoted or rolled back from
     * the gateway's own measurements: `{ strategy: 'canary', steps: [5, 25, 50, 100], interval: '1m' }`.
     * Default none: every available upstream takes traffic.
     */
    release: releaseSchema.optional(),
  })
  .prefault({})

export const configSchema = z.strictObject({
  /** Where the gateway listens: `{ port: 8080, host: '0.0.0.0', tls? }`. */
  listen: z
    .strictObject({
      /** Default 8080 (use 443 with tls). */
      port: z.number().int().min(0).max(65535).default(8080),
      /** Default 0.0.0.0 (every IPv4 address). */
      host: z.string().min(1).default('0.0.0.0'),
      /** Serve HTTPS on this port: certificates by SNI, live reload, optional HTTP redirect and HSTS. Default none (plain HTTP). */
      tls: tlsSchema.optional(),
      /** HTTP/2: over TLS by ALPN (on by default), cleartext h2c with prior knowledge (opt-in), its limits. */
      http2: http2Schema,
    })
    .refine((l) => !(l.http2.h2c && l.tls), { error: 'h2c is cleartext HTTP/2: it applies to a plain listener, and listen.tls is set (HTTPS negotiates h2 by ALPN)', path: ['http2', 'h2c'] })
    .refine((l) => !l.tls?.redirectHttp || l.tls.redirectHttp.port === 0 || l.tls.redirectHttp.port !== l.port, {
      error: 'the plain-HTTP redirect listener needs a port of its own (not listen.port)',
      path: ['tls', 'redirectHttp', 'port'],
    })
    .prefault({}),
  /** Header size and count (431), header read and idle timeouts, on every listener. */
  limits: limitsSchema,
  /**
   * Processes serving traffic on the listen port (SO_REUSEPORT): `'auto'` = one per core available
   * (cgroup CPU limits honoured), or a number. A primary process runs discovery, health checks,
   * observers and control loops, and feeds the workers. Default 1: one process does everything.
   */
  workers: z
    .union([z.literal('auto'), z.number().int({ error: 'expected a whole number from 1 to 256, or "auto"' }).min(1).max(256)], {
      error: 'expected a whole number from 1 to 256, or "auto"',
    })
    .default(1),
  /** Peers whose X-Forwarded-* headers are believed. Default none. */
  trustedProxies: z.array(cidr).default([]),
  /** Sources that may add pools and routes of their own (Docker labels, etcd keys, a routes file). */
  discovery: pluginList('discovery').default([]),
  /**
   * Several gateways in front of the same replicas: one wakes or scales a pool at a time, and a
   * pool sleeps only when idle at every gateway (`etcdCoordination({ endpoints })`). Default none:
   * each gateway decides alone.
   */
  coordination: pluginSlot('coordination').optional(),
  /** Observers: metrics, access logs, the admin API and dashboard. */
  observe: pluginList('observer').default([]),
  /** Answered 200 by the gateway itself (container HEALTHCHECK, load balancers); false turns it off. */
  healthPath: z
    .union([z.string().regex(/^\/\S*$/, { error: 'expected a path starting with "/"' }), z.literal(false)])
    .default('/__gatehouse/health'),
  /** What SIGTERM/SIGINT do: stop accepting, let in-flight requests finish, exit 0. */
  shutdown: z
    .strictObject({
      /** How long in-flight requests may finish after SIGTERM. Default 10s. */
      grace: duration().default(10_000),
    })
    .prefault({}),
  /** Pools of upstreams by name: `{ web: { upstreams: ['http://127.0.0.1:8001'], balancer: leastConn() } }`. */
  pools: z.record(poolName, poolSchema).default({}),
  /** Routes, matched most specific first (exact host, then exact path, then more conditions, then order). */
  routes: z.array(routeSchema).default([]),
})

/**
 * What `gateway.config.ts` exports (`defineConfig({...})`): every field optional, defaults in each
 * field's doc. An interface, so editors and declaration files name it instead of expanding the schema.
 */
export interface GatewayConfigInput extends z.input<typeof configSchema> {}
export type GatewayConfig = z.output<typeof configSchema>
export type PoolConfig = z.output<typeof poolSchema>
export type TimeoutsConfig = z.output<typeof timeoutsSchema>
