/**
 * Metrics about the gateway's state rather than its requests: counted from pool, health and
 * discovery events as they happen, and read from the gateway view at each scrape (availability,
 * in-flight requests), so a gauge never disagrees with what the admin API shows.
 */
import type { DiscoveryResult, HealthChange, PoolChange } from '../../core/gateway/events.ts'
import type { GatewayView } from '../../core/types.ts'
import { CounterFamily, GaugeFamily } from './families.ts'

export class StateMetrics {
  readonly poolChanges: CounterFamily
  readonly healthFlips: CounterFamily
  readonly ejections: CounterFamily
  readonly snapshots: CounterFamily
  private readonly lastSnapshot: GaugeFamily
  private readonly gauges: Record<'available' | 'healthy' | 'disabled' | 'ejected' | 'inflight', GaugeFamily>
  private readonly poolSize: GaugeFamily
  private readonly poolAvailable: GaugeFamily
  private readonly routes: GaugeFamily
  private readonly inflight: GaugeFamily
  private readonly poolInflight: GaugeFamily
  private readonly certificates: GaugeFamily
  private readonly connections: GaugeFamily
  /** Last verdicts seen per upstream, to count transitions (health events also fire on drains). */
  private readonly seen = new Map<string, { healthy: boolean; ejectedUntil: number }>()

  constructor(maxSeries: number) {
    const up = ['pool', 'upstream']
    this.poolChanges = new CounterFamily('gatehouse_pool_changes_total', 'Upstreams added, removed or updated by discovery.', ['pool', 'change'], maxSeries)
    this.healthFlips = new CounterFamily('gatehouse_health_check_transitions_total', 'Active health verdicts that changed, by the new verdict.', [...up, 'verdict'], maxSeries)
    this.ejections = new CounterFamily('gatehouse_ejections_total', 'Passive-health (outlier) ejections.', up, maxSeries)
    this.snapshots = new CounterFamily('gatehouse_discovery_snapshots_total', 'Discovery snapshots per source, applied or rejected (a rejected one keeps the last good one serving).', ['source', 'result'], maxSeries)
    this.lastSnapshot = new GaugeFamily('gatehouse_discovery_last_applied_timestamp_seconds', 'When the source\'s last good snapshot was applied.', ['source'], maxSeries)
    this.gauges = {
      available: new GaugeFamily('gatehouse_upstream_available', '1 when the upstream takes new requests (healthy, not ejected, not disabled, not draining).', up, maxSeries),
      healthy: new GaugeFamily('gatehouse_upstream_healthy', 'Active health verdict (1 without active checks).', up, maxSeries),
      disabled: new GaugeFamily('gatehouse_upstream_disabled', '1 when switched off by an operator (admin API).', up, maxSeries),
      ejected: new GaugeFamily('gatehouse_upstream_ejected', '1 while ejected by passive health.', up, maxSeries),
      inflight: new GaugeFamily('gatehouse_upstream_requests_in_flight', 'Requests sent to the upstream and not finished yet.', up, maxSeries),
    }
    this.poolSize = new GaugeFamily('gatehouse_pool_upstreams', 'Upstreams in the pool\'s current snapshot.', ['pool'], maxSeries)
    this.poolAvailable = new GaugeFamily('gatehouse_pool_available_upstreams', 'Upstreams of the pool taking new requests.', ['pool'], maxSeries)
    this.routes = new GaugeFamily('gatehouse_routes', 'Routes in force (config and discovered).', [], 1)
    this.inflight = new GaugeFamily('gatehouse_requests_in_flight', 'Requests between arrival and their end, gateway-wide (proxied, answered by the gateway, waiting for a wake).', [], 1)
    this.poolInflight = new GaugeFamily('gatehouse_pool_requests_in_flight', 'Requests sent to the pool\'s upstreams and not finished yet.', ['pool'], maxSeries)
    this.connections = new GaugeFamily('gatehouse_open_connections', 'Client connections open on the gateway\'s listeners. Node: all (idle keep-alive and WebSockets included); Bun: those with a request in flight or a WebSocket open (Bun.serve has no connection events); absent on Deno.', [], 1)
    this.certificates = new GaugeFamily('gatehouse_tls_certificate_not_after_timestamp_seconds', 'When each served certificate expires, by its first host name and serial number.', ['host', 'serial'], maxSeries)
  }

  pool(e: PoolChange): void {
    this.poolChanges.inc([e.pool, e.change])
    if (e.change !== 'removed') return
    this.seen.delete(`${e.pool} ${e.id}`)
    for (const f of [this.healthFlips, this.ejections]) f.drop({ pool: e.pool, upstream: e.upstream })
  }

  health(e: HealthChange): void {
    const key = `${e.pool} ${e.id}`
    const before = this.seen.get(key) ?? { healthy: true, ejectedUntil: 0 }
    if (e.healthy !== before.healthy) this.healthFlips.inc([e.pool, e.upstream, e.healthy ? 'healthy' : 'unhealthy'])
    if (e.ejectedUntil > Date.now() && e.ejectedUntil !== before.ejectedUntil) this.ejections.inc([e.pool, e.upstream])
    this.seen.set(key, { healthy: e.healthy, ejectedUntil: e.ejectedUntil })
  }

  discovery(e: DiscoveryResult): void {
    this.snapshots.inc([e.source, e.ok ? 'applied' : 'rejected'])
    if (e.ok) this.lastSnapshot.set([e.source], Math.round(Date.now() / 1000))
  }

  render(view: GatewayView): string {
    const now = Date.now()
    const g = this.gauges
    for (const f of [...Object.values(g), this.poolSize, this.poolAvailable, this.poolInflight, this.certificates]) f.clear()
    for (const pool of view.pools()) {
      let available = 0
      let inflight = 0
      for (const u of pool.upstreams) {
        const labels = [pool.name, u.url]
        g.available.set(labels, +u.available)
        g.healthy.set(labels, +u.healthy)
        g.disabled.set(labels, +u.disabled)
        g.ejected.set(labels, +(u.ejectedUntil > now))
        g.inflight.set(labels, u.inflight)
        available += +u.available
        inflight += u.inflight
      }
      this.poolSize.set([pool.name], pool.upstreams.length)
      this.poolAvailable.set([pool.name], available)
      this.poolInflight.set([pool.name], inflight)
    }
    this.routes.set([], view.routes().length)
    this.inflight.set([], view.inflight?.() ?? 0)
    this.connections.clear()
    const open = view.listeners?.().openConnections
    if (open !== undefined) this.connections.set([], open)
    for (const c of view.certificates?.()?.served ?? []) this.certificates.set([c.hosts[0] ?? '', c.serial], Date.parse(c.notAfter) / 1000)
    return [...Object.values(g), this.poolSize, this.poolAvailable, this.poolInflight, this.inflight, this.connections, this.certificates, this.routes, this.poolChanges, this.healthFlips, this.ejections, this.snapshots, this.lastSnapshot]
      .map((f) => f.render())
      .join('')
  }
}
