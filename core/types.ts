/**
 * The plugin contracts (DESIGN.md §3). Every plugin is a factory that validates its options with
 * its own zod schema (through `definePlugin`, core/plugin/define.ts) and returns one of these;
 * each carries its kind, name and options (PluginBase, core/plugin/contract.ts).
 */
import type { PluginBase, PluginContext } from './plugin/contract.ts'

export type { CheckResult, Upstream, UpstreamHealth, UpstreamState } from './pools/upstream.ts'
import type { UpstreamHealth, UpstreamState } from './pools/upstream.ts'
import type { Scaler } from './plugin/scaler.ts'
export type { Scaler, ScaleAction } from './plugin/scaler.ts'

/** Per-request facts a balancer may key on (hashing, stickiness). Cheap and lazy. */
export interface BalanceContext {
  /** Client address, as established by the trusted-proxy rules. */
  readonly clientIp: string
  /** First value of a request header (case-insensitive name). */
  header(name: string): string | undefined
  /** Value of a request cookie. */
  cookie(name: string): string | undefined
}

/** Chooses an upstream for one request. Pure apart from its own state; randomness is injected. */
export interface Balancer extends PluginBase<'balancer'> {
  pick(candidates: readonly UpstreamState[], ctx: BalanceContext): UpstreamState | undefined
}

/** What a discovery source reports: the whole set it knows, per pool (and optionally routes). */
export interface DiscoverySnapshot {
  pools: Record<string, UpstreamInput[]>
  /**
   * The whole set of routes this source defines, checked by the route schema. Omit it when the
   * source never defines routes: an absent `routes` leaves the source's routes as they were,
   * `[]` removes them.
   */
  routes?: unknown[]
}

/** An upstream as sources and configs write it: a URL string, or an object with weight/labels. */
export type UpstreamInput =
  | string
  | { url: string; id?: string; weight?: number; labels?: Record<string, string> }

/** `signal` aborts when the gateway stops; the plugin must then stop its watches. */
export interface DiscoveryContext extends PluginContext {
  /** Replace everything this source reported before with this snapshot. */
  emit(snapshot: DiscoverySnapshot): void
  /**
   * The source could not make a snapshot (its file does not parse, a field is wrong): the last
   * good one keeps serving, and observers (metrics, the dashboard) hear why, fields named.
   */
  reject?(problems: string[]): void
  /** The pool this source is attached to, when configured under `pools.<name>.discovery`. */
  readonly pool?: string
  /** A source whose engine can start and stop its pools' replicas hands its scaler over here, once (scale to zero, wake, scale with load). */
  readonly scaler?: (scaler: Scaler) => void
}

/** Keeps pools current. Emits whole snapshots until the signal aborts. */
export interface DiscoveryPlugin extends PluginBase<'discovery'> {
  start(ctx: DiscoveryContext): Promise<void> | void
}

/** The pool as health plugins see it. */
export interface PoolHealthView {
  readonly name: string
  /** The current snapshot (draining upstreams excluded). */
  upstreams(): readonly UpstreamHealth[]
  /** Called after every snapshot change. */
  onChange(listener: () => void): void
}

export type { HealthCheckRequest } from './plugin/io.ts'

/** Probes with `ctx.io.healthCheck`. */
export interface HealthContext extends PluginContext {
  readonly pool: PoolHealthView
}

/** Active checks: probes the pool's upstreams off the request path until the signal aborts. */
export interface HealthPlugin extends PluginBase<'health'> {
  /** May return a way to probe one upstream at once (the admin API's "check now"): resolves to the verdict. */
  start(ctx: HealthContext): void | { checkNow(upstream: UpstreamHealth): Promise<boolean> }
}

/** How one proxied exchange ended, for passive health. */
export interface ExchangeOutcome {
  /** Response status, when the upstream answered. */
  status?: number
  /** Why the upstream could not answer (refused, reset, timeouts). */
  failure?: 'refused' | 'connect-timeout' | 'reset' | 'first-byte-timeout' | 'idle-timeout' | 'total-timeout' | 'error'
}

/** Passive health: watches real traffic and ejects upstreams that fail it. */
export interface OutlierPlugin extends PluginBase<'outlier'> {
  observe(upstream: UpstreamHealth, outcome: ExchangeOutcome, pool: PoolHealthView): void
}

/** One upstream as the admin API and dashboard show it. */
export interface UpstreamView {
  id: string
  url: string
  weight: number
  labels: Readonly<Record<string, string>>
  available: boolean
  healthy: boolean
  /** Switched off by an operator (admin API): takes no new requests. */
  disabled: boolean
  ejectedUntil: number
  inflight: number
  /** A replica of a scaling pool that has not answered its readiness probe yet. */
  warming: boolean
  /** The last active health check, when the pool has active checks. */
  lastCheck?: import('./pools/upstream.ts').CheckResult
}

export interface PoolView {
  name: string
  balancer: string
  upstreams: UpstreamView[]
  /** A pool that scales (core/scale/): asleep, waking or awake, and its replicas as its engine counts them. */
  scale?: import('./scale/scale-view.ts').PoolScaleView
  /** A pool with a release policy (core/release/): its versions, weights, step and last verdict. */
  release?: import('./release/release-view.ts').ReleaseView
}

/** What an operator may do to a pool's release (admin API). */
export type ReleaseAction = 'promote' | 'pause' | 'resume' | 'abort' | { weights: Record<string, unknown> }

/**
 * What observer plugins (metrics, access logs, the admin API) see of a running gateway. `events`
 * is the gateway's event stream (core/gateway/events.ts): request records, pool changes, health
 * flips, discovery results.
 */
export interface GatewayView {
  readonly events: import('./gateway/events.ts').GatewayEvents
  pools(): PoolView[]
  routes(): readonly import('./config/route-schema.ts').RouteConfig[]
  /** Operator switch: a disabled upstream takes no new requests (its in-flight ones finish). */
  setEnabled(pool: string, id: string, enabled: boolean): boolean
  /** Where a route comes from: 'config', or the id of the discovery source that sent it. */
  routeSource(route: import('./config/route-schema.ts').RouteConfig): string
  /** Runs one active health check now; undefined when the pool or upstream is unknown or has no active checks. */
  checkNow(pool: string, id: string): Promise<boolean | undefined>
  /** The config in force: its generation (1 at start, one more per reload) and when it was loaded (ms since epoch). */
  config(): { generation: number; loadedAt: number }
  /** The HTTPS listener's certificates; undefined without TLS. */
  certificates?(): CertificatesView | undefined
  /** Steers a pool's release (core/release/); undefined when the pool has no release policy. */
  steerRelease?(pool: string, action: ReleaseAction): import('./release/release-view.ts').ActionResult | undefined
  /** Requests between arrival and their end, gateway-wide (also those answered by the gateway or waiting for a wake). */
  inflight?(): number
  /** Traces requests with `tracer` (a tracing observer: plugins/tracing); returns its stop, which closes it. One tracer at a time. */
  traceRequests?(tracer: import('./plugin/tracer.ts').RequestTracer): () => void
  /** The client listeners: connections open now (undefined where the runtime cannot tell: Deno) and requests refused before routing, by reason. */
  listeners?(): ListenersView
}

export interface ListenersView {
  /** See RunningServer.openConnections (core/runtime/types.ts) for what each runtime counts. */
  openConnections: number | undefined
  refused: ReadonlyMap<import('./runtime/types.ts').ListenerRefusal, number>
}

/** Certificates served by the HTTPS listener, and the hosts their source manages (ACME: pending, failing). */
export interface CertificatesView {
  served: { hosts: readonly string[]; serial: string; notAfter: string }[]
  managed: import('./tls/certificate-source.ts').CertificateStatus[]
}

export interface ObserverContext extends PluginContext {
  readonly gateway: GatewayView
}

/** Observes (and steers) the gateway: metrics, access logs, admin API. Runs until the signal aborts. */
export interface ObserverPlugin extends PluginBase<'observer'> {
  start(ctx: ObserverContext): void | Promise<void>
}

export type { GatewayEnv, GatewayContext, GatewayMiddleware } from './gateway-env.ts'
export type { RequestTracer, RequestTrace, TryTrace } from './plugin/tracer.ts'
export type { Logger } from './logger.ts'
