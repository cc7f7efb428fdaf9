/**
 * DNS for plugins: a resolver with its own servers, on `node:dns/promises`, which Node, Bun and
 * Deno all provide; a runtime without it brings its own (e.g. DNS over HTTPS on fetch). SRV is read
 * from the wire (dns-srv.ts), because node:dns drops the TTL the dns plugin refreshes by.
 */
import { Resolver } from 'node:dns/promises'
import type { DnsClient, SrvRecord } from '../../plugin/io.ts'
import { querySrv } from './dns-srv.ts'

/**
 * NXDOMAIN and NODATA are answers ("there is nothing"), not failures: the pool is really empty.
 * Everything else (refused, server failure, timeout, connection refused) is a failure.
 */
const EMPTY_ANSWER = new Set(['ENOTFOUND', 'ENODATA'])

/** `servers` like ["127.0.0.1:8600"]; the system's resolvers when omitted. */
export function nodeDns({ servers, timeoutMs }: { servers?: readonly string[]; timeoutMs: number }): DnsClient {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 })
  if (servers?.length) resolver.setServers([...servers])
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
