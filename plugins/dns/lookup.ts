/**
 * One lookup: the records of a name turned into upstreams. The DNS client is injected, so this is
 * the translation half (Traefik's "I/O apart from translation") and the loop in index.ts the I/O.
 */
import type { AddressRecord, DnsClient } from '../../core/plugin/io.ts'
import { isIpAddress, lowestPriorityGroup, mergeByUrl, srvWeight, upstreamUrl, type UpstreamEntry } from './records.ts'

export interface LookupSpec {
  name: string
  type: 'SRV' | 'A' | 'AAAA'
  /** For A/AAAA. */
  port?: number
  scheme: 'http' | 'https'
  /** Resolve SRV target hostnames to addresses with the same servers. */
  resolveTargets: boolean
}

export interface Answer {
  upstreams: UpstreamEntry[]
  /** Smallest TTL in the answer (SRV records and their targets' addresses), in seconds; undefined when unknown. */
  ttl?: number
  /** SRV targets that have no A/AAAA records (skipped). */
  unresolved: string[]
}

export async function lookup(client: DnsClient, spec: LookupSpec): Promise<Answer> {
  if (spec.type !== 'SRV') {
    const records = await client.addresses(spec.name, spec.type === 'A' ? 4 : 6)
    const upstreams = records.map((r) => ({ url: upstreamUrl(spec.scheme, r.address, spec.port!), weight: 1, labels: {} }))
    const ttl = records.length ? Math.min(...records.map((r) => r.ttl)) : undefined
    return { upstreams: mergeByUrl(upstreams), ttl, unresolved: [] }
  }
  const unresolved: string[] = []
  const records = await client.srv(spec.name)
  const ttls: (number | undefined)[] = records.map((r) => r.ttl)
  const group = lowestPriorityGroup(records)
  const perRecord = await Promise.all(
    group.map(async (r) => {
      const labels = { priority: String(r.priority), target: r.name }
      let hosts = [r.name]
      if (spec.resolveTargets && !isIpAddress(r.name)) {
        const addresses = await addressesOf(client, r.name)
        hosts = addresses.map((a) => a.address)
        ttls.push(...addresses.map((a) => a.ttl))
      }
      if (!hosts.length) unresolved.push(r.name)
      return hosts.map((h) => ({ url: upstreamUrl(spec.scheme, h, r.port), weight: srvWeight(r.weight), labels }))
    }),
  )
  // Unknown when any record came without one (the TCP fallback): then the caller refreshes at its minimum.
  const ttl = ttls.length && ttls.every((t) => t !== undefined) ? Math.min(...(ttls as number[])) : undefined
  return { upstreams: mergeByUrl(perRecord.flat()), ttl, unresolved: [...new Set(unresolved)].sort() }
}

/** A records, else AAAA records. A failing query fails the whole lookup (the last answer stays). */
async function addressesOf(client: DnsClient, host: string): Promise<AddressRecord[]> {
  const v4 = await client.addresses(host, 4)
  return v4.length ? v4 : await client.addresses(host, 6)
}
