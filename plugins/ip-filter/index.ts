/**
 * Allow or deny clients by address: `allow` and `deny` lists of CIDR ranges or single
 * addresses, IPv4 and IPv6 (an IPv4-mapped IPv6 address counts as IPv4). Use it to keep an admin
 * route to the office and VPN, or to shut out abusive networks. The client address is
 * `c.get('clientIp')`, i.e. the peer, or the right-most untrusted `X-Forwarded-For` entry when
 * the peer is one of your `trustedProxies` — so a client cannot pick its own address.
 * `deny` wins over `allow`; with an `allow` list, everything not in it is refused. Refused → 403.
 *
 * @example
 * ```ts
 * import { ipFilter } from 'gatehouse/plugins/ip-filter'
 * routes: [{ path: '/admin/*', pool: 'admin', use: [ipFilter({ allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.6.6.0/24'] })] }]
 * ```
 */
import { z } from 'zod'
import ipaddr from 'ipaddr.js'
import { definePlugin } from '../../core/plugin/define.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { trustChecker } from '../../core/proxy/client-address.ts'

// Four-part IPv4 only: ipaddr.js also takes legacy forms like "10.1" that nobody means in a config.
const isAddress = (a: string) => ipaddr.IPv4.isValidFourPartDecimal(a) || ipaddr.IPv6.isValid(a)
const cidr = z.string().refine((v) => isAddress(v.split('/')[0]!) && (!v.includes('/') || ipaddr.isValidCIDR(v)), {
  error: 'expected an IP address or CIDR range like "10.0.0.0/8" or "2001:db8::/32"',
})

const schema = z
  .strictObject({
    /** Only these ranges may pass. Default: everyone not denied. */
    allow: z.array(cidr).optional(),
    /** These ranges are refused, even when also allowed. Default none. */
    deny: z.array(cidr).default([]),
  })
  .refine((o) => o.allow !== undefined || o.deny.length > 0, { error: 'give `allow`, `deny` or both' })

export type IpFilterOptions = z.input<typeof schema>

export function ipFilter(options: IpFilterOptions): MiddlewarePlugin {
  return definePlugin('middleware', 'ipFilter', schema, options, (o) => ({
    guards: 'ip-filter',
    setup() {
      // The core's CIDR matcher (also used for trustedProxies): IPv4-mapped IPv6 unwrapped, unparsable → no match.
      const denied = trustChecker(o.deny)
      const allowed = o.allow && trustChecker(o.allow)

      return async (c, next) => {
        const ip = c.get('clientIp')
        if (denied(ip) || (allowed && !allowed(ip))) return c.text('gatehouse: ip-filter: client address not allowed\n', 403)
        await next()
      }
    },
  }))
}
