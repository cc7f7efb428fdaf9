/**
 * Pure rules for turning DNS answers into upstreams; table-tested without a DNS server.
 */
import type { SrvRecord } from '../../core/plugin/io.ts'

export interface UpstreamEntry {
  url: string
  weight: number
  labels: Record<string, string>
}

/**
 * The records a client should use, per RFC 2782: only the group with the LOWEST priority value;
 * higher-priority-number groups are standbys, used only once the lower group is gone from DNS.
 * (Health within the group is the health checker's job, not DNS's.) A target of "." (or "")
 * means "decidedly not available here" and is dropped.
 */
export function lowestPriorityGroup(records: readonly SrvRecord[]): SrvRecord[] {
  const usable = records.filter((r) => r.name !== '' && r.name !== '.')
  const lowest = Math.min(...usable.map((r) => r.priority))
  return usable.filter((r) => r.priority === lowest)
}

/** SRV weights are 0–65535 and upstream weights 1–1000: clamp, so a weight-0 record still gets a share. */
export const srvWeight = (weight: number): number => Math.min(1000, Math.max(1, weight))

/** Literal IPv4 or IPv6 address (as DNS answers and SRV targets write them). */
export const isIpAddress = (host: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')

/** `http://10.0.0.1:8080`, `http://[fd00::1]:8080`, `http://web-1.node.consul:8080`. */
export function upstreamUrl(scheme: string, host: string, port: number): string {
  const h = host.replace(/\.$/, '')
  return `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`
}

/** Next refresh in ms: the answer's TTL (seconds) clamped to [min, max]; `min` when unknown. */
export function refreshDelay(ttlSeconds: number | undefined, minMs: number, maxMs: number): number {
  if (ttlSeconds === undefined) return minMs
  return Math.min(maxMs, Math.max(minMs, ttlSeconds * 1000))
}

/** One entry per URL (two records may name the same address), the larger weight winning; sorted by URL. */
export function mergeByUrl(entries: readonly UpstreamEntry[]): UpstreamEntry[] {
  const byUrl = new Map<string, UpstreamEntry>()
  for (const e of entries) {
    const seen = byUrl.get(e.url)
    if (!seen || e.weight > seen.weight) byUrl.set(e.url, e)
  }
  return [...byUrl.values()].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0))
}
