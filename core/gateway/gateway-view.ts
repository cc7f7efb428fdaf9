/** The read (and operator-switch) view of a running gateway that observer plugins get. */
import type { CertificatesView, GatewayView, PoolView } from '../types.ts'
import type { RouteConfig } from '../config/route-schema.ts'
import type { PoolRegistry } from '../pools/registry.ts'
import type { GatewayEvents } from './events.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'

export interface ViewSources {
  routes: () => readonly RouteConfig[]
  routeSource: (route: RouteConfig) => string
  /** Per pool, the active health plugin's on-demand probe, when it offers one. */
  checkers: ReadonlyMap<string, (up: UpstreamRuntime) => Promise<boolean>>
  /** The HTTPS listener's certificates, once it runs. */
  certificates?: () => CertificatesView | undefined
}

export function gatewayView(registry: PoolRegistry, events: GatewayEvents, { routes, routeSource, checkers, certificates = () => undefined }: ViewSources): GatewayView {
  const find = (pool: string, id: string) => registry.get(pool)?.upstreams.find((u) => u.id === id)
  return {
    events,
    routes,
    routeSource,
    certificates,
    async checkNow(pool, id) {
      const up = find(pool, id)
      const check = checkers.get(pool)
      return up && check ? check(up) : undefined
    },
    pools: (): PoolView[] =>
      registry.all().map((pool) => ({
        name: pool.name,
        balancer: pool.settings.balancer.name,
        upstreams: pool.upstreams.map((u) => ({
          id: u.id,
          url: u.url.origin,
          weight: u.weight,
          labels: u.labels,
          available: u.available,
          healthy: u.healthy,
          disabled: u.disabled,
          ejectedUntil: u.ejectedUntil,
          inflight: u.inflight,
        })),
      })),
    setEnabled(poolName, id, enabled) {
      const up = find(poolName, id)
      if (!up) return false
      up.setDisabled(!enabled)
      return true
    },
  }
}
