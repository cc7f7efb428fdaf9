/**
 * HTTPS on Bun: `Bun.serve({ tls: [...] })` takes one entry per SNI name (`serverName`, `*.`
 * wildcards included); the first entry is also the default for clients without SNI or naming
 * no listed host. Bun cannot change certificates of a running server (`server.reload()` swaps
 * handlers only), so serve.ts replaces the server when they change.
 */
import type { TlsCertificate } from '../types.ts'

export interface BunTlsEntry {
  cert: string
  key: string
  serverName?: string
}

export function bunTlsEntries(certs: readonly TlsCertificate[]): BunTlsEntry[] {
  const entries: BunTlsEntry[] = []
  const named = new Set<string>()
  for (const c of certs) {
    if (c.hosts.length === 0 && entries.length === 0) entries.push({ cert: c.cert, key: c.key })
    for (const host of c.hosts) {
      if (named.has(host)) continue // the first certificate naming a host wins, as on Node and Deno
      named.add(host)
      entries.push({ cert: c.cert, key: c.key, serverName: host })
    }
  }
  return entries
}
