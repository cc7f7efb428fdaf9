/**
 * Which route hosts ACME can order for: DNS names of two labels or more. Wildcards (`*.x` needs
 * DNS-01, not built in) and IP addresses (few CAs issue for them) are skipped, each logged once.
 */
import type { Logger } from '../../core/types.ts'

const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/

export function skipReason(host: string): string | undefined {
  if (host.includes('*')) return 'a wildcard needs the DNS-01 challenge, which is not built in'
  if (IPV4.test(host) || host.includes(':')) return 'an IP address'
  if (!DNS_NAME.test(host)) return 'not a DNS name of two labels or more'
  return undefined
}

/** The orderable hosts among `hosts`; `skipped` remembers what was logged already. */
export function orderableHosts(hosts: readonly string[], skipped: Map<string, string>, log: Logger): string[] {
  const out: string[] = []
  for (const host of hosts) {
    const reason = skipReason(host)
    if (!reason) {
      out.push(host)
      continue
    }
    if (!skipped.has(host)) log.warn(`no certificate for ${host}: ${reason}`, { host, reason })
    skipped.set(host, reason)
  }
  return out
}
