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
import { upstreamListSchema } from '../pools/upstream-input.ts'

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
    connect: duration().default(5_000).describe('TCP connect to an upstream. Default 5s; 504 when exceeded.'),
    firstByte: duration().default(60_000).describe('From request sent to response headers. Default 60s; 504.'),
    idle: duration().default(60_000).describe('Between two body chunks of the response. Default 60s.'),
    total: duration().optional().describe('Whole exchange, first byte to last. Default none (SSE and downloads may run long).'),
  })
  .prefault({})

export const poolSchema = z
  .strictObject({
    upstreams: upstreamListSchema.optional().describe('Static upstreams (shorthand for discovery: staticUpstreams([...])).'),
    discovery: pluginOneOrList('discovery')
      .optional()
      .transform((d) => d ?? [])
      .describe('Where the pool\'s upstreams come from; several sources are merged.'),
    balancer: pluginSlot('balancer').default(() => roundRobin()).describe('How an upstream is chosen. Default roundRobin().'),
    retries: z.number().int({ error: 'expected a whole number from 0 to 10' }).min(0).max(10).default(2).describe('Further tries on another upstream after a connection failure. Default 2.'),
    retryOn: z
      .array(z.number().int().min(500).max(599))
      .default([])
      .describe('Also retry idempotent requests on another upstream when it answers one of these statuses (e.g. [502, 503]). Default none.'),
    queue: z
      .strictObject({
        timeout: duration().default(0).describe('How long a request may wait for an available upstream. Default 0: 503 at once.'),
        max: z.number().int().min(1).max(100_000).default(1000).describe('Requests waiting at most; more get 503 at once. Default 1000.'),
      })
      .prefault({})
      .describe('When no upstream is available: answer 503 at once (default) or wait briefly for one.'),
    slowStart: duration().default(0).describe('Ramp a new upstream\'s weight up over this time (weighted balancers). Default 0: off.'),
    health: pluginSlot('health').optional().describe('Active checks, e.g. activeHealth({ path: "/", interval: "2s" }). Default none.'),
    outlier: pluginSlot('outlier').optional().describe('Passive health on real traffic, e.g. outlierDetection(). Default none.'),
    timeouts: timeoutsSchema,
  })
  .prefault({})

export const configSchema = z.strictObject({
  listen: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8080).describe('Default 8080 (use 443 with tls).'),
      host: z.string().min(1).default('0.0.0.0').describe('Default 0.0.0.0 (every IPv4 address).'),
      tls: tlsSchema.optional().describe('Serve HTTPS on this port: certificates by SNI, live reload, optional HTTP redirect and HSTS. Default none (plain HTTP).'),
    })
    .refine((l) => !l.tls?.redirectHttp || l.tls.redirectHttp.port === 0 || l.tls.redirectHttp.port !== l.port, {
      error: 'the plain-HTTP redirect listener needs a port of its own (not listen.port)',
      path: ['tls', 'redirectHttp', 'port'],
    })
    .prefault({}),
  limits: limitsSchema.describe('Header size and count (431), header read and idle timeouts, on every listener.'),
  trustedProxies: z.array(cidr).default([]).describe('Peers whose X-Forwarded-* headers are believed. Default none.'),
  discovery: pluginList('discovery')
    .default([])
    .describe('Sources that may add pools and routes of their own (Docker labels, etcd keys, a routes file).'),
  observe: pluginList('observer')
    .default([])
    .describe('Observers: metrics, access logs, the admin API and dashboard.'),
  healthPath: z
    .union([z.string().regex(/^\/\S*$/, { error: 'expected a path starting with "/"' }), z.literal(false)])
    .default('/__gatehouse/health')
    .describe('Answered 200 by the gateway itself (container HEALTHCHECK, load balancers); false turns it off.'),
  shutdown: z
    .strictObject({ grace: duration().default(10_000).describe('How long in-flight requests may finish after SIGTERM. Default 10s.') })
    .prefault({}),
  pools: z.record(poolName, poolSchema).default({}),
  routes: z.array(routeSchema).default([]),
})

export type GatewayConfigInput = z.input<typeof configSchema>
export type GatewayConfig = z.output<typeof configSchema>
export type PoolConfig = z.output<typeof poolSchema>
export type TimeoutsConfig = z.output<typeof timeoutsSchema>
