/** The read (and operator-switch) view of a running gateway that observer plugins get: always the state in force. */
import type { CertificatesView, GatewayView, PoolView } from '../types.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { GatewayEvents } from './events.ts'
import type { Watcher } from './watcher.ts'
import type { PoolScaleView } from '../scale/scale-view.ts'
import type { Releases } from '../release/releases.ts'
import type { Traffic } from './traffic.ts'
import type { RequestTracing } from './request-tracing.ts'

export function gatewayView(
  watcher: Watcher,
  events: GatewayEvents,
  /** Per pool, the active health plugin's on-demand probe, when it offers one. */
  checkers: ReadonlyMap<string, ((up: UpstreamRuntime) => Promise<boolean>) | undefined>,
  /** The HTTPS listener's certificates, once it runs. */
  certificates: () => CertificatesView | undefined = () => undefined,
  /** A scaling pool's state (core/scale/scaling.ts). */
  scaleOf: (pool: string) => PoolScaleView | undefined = () => undefined,
  /** Pools with a release policy (core/release/releases.ts). */
  releases?: Pick<Releases, 'get' | 'view'>,
  traffic?: Traffic,
  tracing?: RequestTracing,
  listeners?: GatewayView['listeners'],
): GatewayView {
  const find = (pool: string, id: string) => watcher.current().pools.get(pool)?.upstreams.find((u) => u.id === id && !u.draining)
  return {
    events,
    routes: () => watcher.current().routeList,
    routeSource: (route) => watcher.current().sourceOf(route),
    certificates,
    inflight: () => traffic?.inflight ?? 0,
    traceRequests: tracing && ((tracer) => tracing.use(tracer)),
    listeners,
    config: () => {
      const { generation, loadedAt } = watcher.current()
      return { generation, loadedAt }
    },
    async checkNow(pool, id) {
      const up = find(pool, id)
      const check = checkers.get(pool)
      return up && check ? check(up) : undefined
    },
    pools: (): PoolView[] =>
      [...watcher.current().pools.values()].map((pool) => ({
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
          warming: u.warming,
          lastCheck: u.lastCheck,
        })),
        scale: scaleOf(pool.name),
        release: releases?.view(pool.name),
      })),
    steerRelease(pool, action) {
      const release = releases?.get(pool)
      if (!release) return undefined
      if (typeof action === 'object') return release.setWeights(action.weights)
      return release[action]()
    },
    setEnabled(poolName, id, enabled) {
      const up = find(poolName, id)
      if (!up) return false
      up.setDisabled(!enabled)
      return true
    },
  }
}
