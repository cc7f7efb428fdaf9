/**
 * Where upstream state lives: per pool name, its members by id (health, in-flight counts,
 * ejection), outliving gateway states and config reloads (as Caddy keeps its
 * upstream hosts in a usage pool outside any one config). States only point at these objects.
 */
import type { GatewayEvents } from '../gateway/events.ts'
import { PoolMembers } from './pool-members.ts'
import type { UpstreamRuntime } from './upstream-state.ts'
import type { UpstreamTarget } from '../runtime/types.ts'
import type { Pool } from './pool.ts'

export class UpstreamStore {
  private readonly pools = new Map<string, PoolMembers<Pool>>()

  constructor(
    /** Called for an address an upstream no longer has (it left or moved): the transport closes its client once idle. */
    private readonly release: (address: UpstreamTarget) => void,
    private readonly events?: GatewayEvents,
  ) {}

  /** The members of a pool, made empty on first use. */
  members(name: string): PoolMembers<Pool> {
    let members = this.pools.get(name)
    if (!members) this.pools.set(name, (members = new PoolMembers<Pool>(name, this.events && this.healthEvent(name, this.events))))
    return members
  }

  all(): PoolMembers<Pool>[] {
    return [...this.pools.values()]
  }

  /** Addresses upstreams left or moved from: their transport clients close after their last request (core/runtime/upstream-clients.ts). */
  retire(addresses: readonly UpstreamTarget[]): void {
    for (const address of addresses) this.release(address)
  }

  private healthEvent(pool: string, events: GatewayEvents) {
    return (up: UpstreamRuntime) =>
      events.emit('health', { pool, upstream: up.url.origin, id: up.id, available: up.available, healthy: up.healthy, ejectedUntil: up.ejectedUntil, disabled: up.disabled })
  }
}
