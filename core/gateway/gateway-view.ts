/** The read (and operator-switch) view of a running gateway that observer plugins get. */
import type { GatewayView, PoolView } from '../types.ts'
import type { RouteConfig } from '../config/route-schema.ts'
import type { PoolRegistry } from '../pools/registry.ts'
import type { GatewayEvents } from './events.ts'

export function gatewayView(registry: PoolRegistry, events: GatewayEvents, routes: () => readonly RouteConfig[]): GatewayView {
  return {
    events,
    routes,
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
      const up = registry.get(poolName)?.upstreams.find((u) => u.id === id)
      if (!up) return false
      up.setDisabled(!enabled)
      return true
    },
  }
}
