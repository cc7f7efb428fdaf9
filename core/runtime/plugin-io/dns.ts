/**
 * DNS for plugins: a resolver with its own servers, on `node:dns/promises`, which Node, Bun and
 * Deno all provide; a runtime without it brings its own (e.g. DNS over HTTPS on fetch).
 */
import { Resolver } from 'node:dns/promises'
import type { DnsClient } from '../../plugin/io.ts'

/**
 * NXDOMAIN and NODATA are answers ("there is nothing"), not failures: the pool is really empty.
 * Everything else (refused, server failure, timeout, connection refused) is a failure.
 */
const EMPTY_ANSWER = new Set(['ENOTFOUND', 'ENODATA'])

export function nodeDns({ servers, timeoutMs }: { servers?: readonly string[]; timeoutMs: number }): DnsClient {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 })
  if (servers?.length) resolver.setServers([...servers])
  const orEmpty = <T>(query: Promise<T[]>): Promise<T[]> =>
    query.catch((err: NodeJS.ErrnoException) => (EMPTY_ANSWER.has(err.code ?? '') ? [] : Promise.reject(err)))
  return {
    srv: (name) => orEmpty(resolver.resolveSrv(name)),
    addresses: (name, family) => orEmpty(family === 4 ? resolver.resolve4(name, { ttl: true }) : resolver.resolve6(name, { ttl: true })),
    cancel: () => resolver.cancel(),
  }
}
