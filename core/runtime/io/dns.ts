/**
 * The dns plugin's only contact with the runtime: a resolver with its own servers. Node, Bun and
 * Deno all provide `node:dns/promises` with `Resolver`; a runtime without it swaps this one file
 * (e.g. for a DNS-over-HTTPS client built on fetch).
 */
import { Resolver } from 'node:dns/promises'

export interface SrvRecord {
  name: string
  port: number
  priority: number
  weight: number
}

export interface AddressRecord {
  address: string
  /** Seconds, as served. */
  ttl: number
}

export interface DnsClient {
  /** SRV records; [] when the name does not exist or has none (a real, empty answer). */
  srv(name: string): Promise<SrvRecord[]>
  /** A (4) or AAAA (6) records with TTLs; [] when there are none. */
  addresses(name: string, family: 4 | 6): Promise<AddressRecord[]>
  /** Cancels queries in flight; they reject. */
  cancel(): void
}

/**
 * NXDOMAIN and NODATA are answers ("there is nothing"), not failures: the pool is really empty.
 * Everything else (refused, server failure, timeout, connection refused) is a failure.
 */
const EMPTY_ANSWER = new Set(['ENOTFOUND', 'ENODATA'])

/** `servers` like ["127.0.0.1:8600"]; the system's resolvers when omitted. */
export function createDnsClient(servers: string[] | undefined, timeoutMs: number): DnsClient {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 })
  if (servers?.length) resolver.setServers(servers)
  const orEmpty = <T>(query: Promise<T[]>): Promise<T[]> =>
    query.catch((err: NodeJS.ErrnoException) => (EMPTY_ANSWER.has(err.code ?? '') ? [] : Promise.reject(err)))
  return {
    srv: (name) => orEmpty(resolver.resolveSrv(name)),
    addresses: (name, family) => orEmpty(family === 4 ? resolver.resolve4(name, { ttl: true }) : resolver.resolve6(name, { ttl: true })),
    cancel: () => resolver.cancel(),
  }
}
