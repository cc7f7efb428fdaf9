/**
 * What a gateway serves at one moment: the config in force, the routes compiled from it and from
 * discovery, and the pools. The watcher builds a whole new state on every change and swaps one
 * reference; a request reads that reference once, so it sees one consistent set of routes, pools,
 * middleware and settings from start to end, however many swaps happen meanwhile.
 */
import type { GatewayConfig } from '../config/schema.ts'
import type { RouteConfig } from '../config/route-schema.ts'
import type { Pool } from '../pools/pool.ts'
import type { TrustCheck } from '../proxy/client-address.ts'
import type { RouteTable } from '../routing/route-table.ts'
import type { CompiledRoute } from './compile-routes.ts'

export interface GatewayState {
  /** The config's generation: 1 at start, one more per successful reload. */
  readonly generation: number
  /** When this generation's config was loaded (ms since epoch). */
  readonly loadedAt: number
  /** Counts every swap (config or discovery), for tests and the log. */
  readonly revision: number
  readonly config: GatewayConfig
  readonly routes: RouteTable<CompiledRoute>
  /** Every pool a route or a source names, by name. */
  readonly pools: ReadonlyMap<string, Pool>
  /** The routes in force (config first, then discovered), as `routes` was compiled from. */
  readonly routeList: readonly RouteConfig[]
  /** 'config' or the discovery source a route came from. */
  sourceOf(route: RouteConfig): string
  /** `trustedProxies` of this config, as the request path checks it. */
  readonly trusted: TrustCheck
}
