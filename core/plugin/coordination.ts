/**
 * Several gateways in front of the same replicas (`coordination: etcdCoordination({...})`): at
 * most one wakes or scales a pool at a time, and a pool sleeps only when it is idle at every
 * gateway. Without it each gateway decides alone: both may wake a pool (harmless: a wake brings
 * the pool to a replica count, a second one finds it there), but one gateway's idle would stop
 * replicas another still serves — so run one gateway per pool that sleeps, or configure this.
 */
import type { PluginBase, PluginContext } from './contract.ts'

export interface CoordinationSession {
  /**
   * Runs `fn` while this gateway holds `name` (held by a lease: a gateway that dies lets go within
   * its TTL). `{ ran: false }` at once when another gateway holds it.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>
  /** Publishes this gateway's last activity on `pool` (ms since epoch) and resolves to the newest of every gateway's. */
  activity(pool: string, lastActive: number): Promise<number>
  /**
   * Shared rollouts (core/release/): one gateway decides a pool's release and publishes its state,
   * the others follow it. Optional: without these each gateway decides alone.
   */
  release?: ReleaseCoordination
}

export interface ReleaseCoordination {
  /** Takes the pool's decider role if nobody holds it (held by this gateway's lease); true while this gateway holds it. */
  lead(pool: string): Promise<boolean>
  /** Writes the pool's rollout state (opaque text; it outlives the decider, so the next one goes on from it). */
  publish(pool: string, state: string): Promise<void>
  /** The pool's rollout state as last published, if any. */
  read(pool: string): Promise<string | undefined>
}

export interface CoordinationPlugin extends PluginBase<'coordination'> {
  /** Connects; the session lasts until the context's signal aborts. */
  start(ctx: PluginContext): Promise<CoordinationSession>
}
