/**
 * Where upstream state lives: per pool name, its members by id (health, in-flight counts,
 * ejection, the client holder), outliving gateway states and config reloads (as Caddy keeps its
 * upstream hosts in a usage pool outside any one config). States only point at these objects.
 */
import type { GatewayEvents } from '../gateway/events.ts'
import { PoolMembers } from './pool-members.ts'
import type { UpstreamRuntime } from './upstream-state.ts'
import type { UpstreamClient } from './upstream-client.ts'
import type { Pool } from './pool.ts'

export class UpstreamStore {
  private readonly pools = new Map<string, PoolMembers<Pool>>()

  constructor(
    /** Called when a client is retired (its upstream left or moved) and has no request in flight: close its connections. */
    private readonly release: (client: UpstreamClient) => void,
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

  /** Counts a finished request (`client` from `up.begin()`); closes a retired client once its last request ends. */
  done(up: UpstreamRuntime, client: UpstreamClient): void {
    up.inflight--
    client.inflight--
    if (client.retired && client.inflight === 0) this.release(client)
  }

  /** Closes retired clients that have no request left (the others close on their last `done`). */
  retire(clients: readonly UpstreamClient[]): void {
    for (const client of clients) if (client.inflight === 0) this.release(client)
  }

  private healthEvent(pool: string, events: GatewayEvents) {
    return (up: UpstreamRuntime) =>
      events.emit('health', { pool, upstream: up.url.origin, id: up.id, available: up.available, healthy: up.healthy, ejectedUntil: up.ejectedUntil, disabled: up.disabled })
  }
}
