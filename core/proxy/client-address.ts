/**
 * Who the client is. X-Forwarded-* from the peer are believed only when the peer is a trusted
 * proxy; the client is then the right-most address in the chain that is not a trusted proxy.
 */
import ipaddr from 'ipaddr.js'

export type TrustCheck = (addr: string) => boolean

export function trustChecker(cidrs: readonly string[]): TrustCheck {
  if (cidrs.length === 0) return () => false
  const ranges = cidrs.map((c) => (c.includes('/') ? ipaddr.parseCIDR(c) : cidrOfOne(c)))
  return (addr) => {
    let ip: ipaddr.IPv4 | ipaddr.IPv6
    try {
      ip = unwrap(ipaddr.parse(addr))
    } catch {
      return false
    }
    return ranges.some(([range, bits]) => {
      const r = unwrap(range)
      return r.kind() === ip.kind() && ip.match(r as never, bits)
    })
  }
}

function cidrOfOne(addr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const ip = unwrap(ipaddr.parse(addr))
  return [ip, ip.kind() === 'ipv4' ? 32 : 128]
}

function unwrap(ip: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip
}

/** The client address given the peer and the X-Forwarded-For values it sent (if trusted). */
export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: TrustCheck): string {
  if (!forwardedFor || !trusted(peer)) return peer
  const chain = forwardedFor.split(',')
  for (let i = chain.length - 1; i >= 0; i--) {
    const addr = chain[i]!.trim()
    if (addr && !trusted(addr)) return addr
  }
  return chain[0]!.trim() || peer
}
