/**
 * The hosts the routes in force name, for a certificate source that obtains certificates per
 * host (ACME): config routes and discovered ones alike, told again whenever the routes change.
 */
import type { RouteConfig } from '../config/route-schema.ts'

export function routeHosts(routes: readonly RouteConfig[]): string[] {
  const hosts = new Set<string>()
  for (const r of routes) if (r.host !== undefined) for (const h of [r.host].flat()) hosts.add(h.toLowerCase())
  return [...hosts]
}

/** Listeners told after each change of the routes. */
export class RouteChanges {
  private readonly listeners = new Set<() => void>()

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  notify(): void {
    for (const listener of this.listeners) listener()
  }
}
