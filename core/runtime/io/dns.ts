/**
 * The dns plugin's only contact with the runtime: a resolver with its own servers. Node, Bun and
 * Deno all provide `node:dns/promises` with `Resolver`; a runtime without it swaps this one file
 * (e.g. for a DNS-over-HTTPS client built on fetch).
 */
import { Resolver } from 'node:dns/promises'
import { querySrv } from './dns-srv.ts'

export interface SrvRecord {
  name: string
  port: number
  priority: number
  weight: number
  /** Seconds, as served; absent when the answer came without it (the fallback for a truncated answer). */
  ttl?: number
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
  let queries = new AbortController()
  // SRV is read from the wire (dns-srv.ts) for its TTL: each server in turn, two tries each, as the Resolver does.
  const srv = async (name: string): Promise<SrvRecord[]> => {
    let last: unknown
    for (const server of servers?.length ? servers : resolver.getServers()) {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const records = await querySrv(server, name, timeoutMs, queries.signal)
          return records ?? (await orEmpty(resolver.resolveSrv(name))) // truncated: over TCP, without TTL
        } catch (err) {
          last = err
          if ((err as NodeJS.ErrnoException).code === 'ECANCELLED') throw err
        }
      }
    }
    throw last
  }
  const orEmpty = <T>(query: Promise<T[]>): Promise<T[]> =>
    query.catch((err: NodeJS.ErrnoException) => (EMPTY_ANSWER.has(err.code ?? '') ? [] : Promise.reject(err)))
  return {
    srv,
    addresses: (name, family) => orEmpty(family === 4 ? resolver.resolve4(name, { ttl: true }) : resolver.resolve6(name, { ttl: true })),
    cancel: () => {
      resolver.cancel()
      queries.abort()
      queries = new AbortController()
    },
  }
}
