/**
 * A pool that one route guards (jwt, api-key, basic or forward auth, an IP filter) and another
 * route reaches without any guard, for paths both can match, from hosts the guarded route does
 * not cover: a request with another Host walks around the guard to the same upstreams.
 *
 *   { host: 'api.example.com', path: '/admin/*', pool: 'api', use: [jwt(…)] }
 *   { path: '/*', pool: 'api' }       ← `Host: anything-else` reaches /admin/x with no token
 *
 * A route inside the guarded one's hosts is left alone: for those hosts the more specific route
 * wins on purpose (a public carve-out like /health). Methods and header conditions are ignored,
 * so this may warn about a door that a method rule keeps shut; the warning says "may".
 */
import type { RouteConfig } from '../config/route-schema.ts'
import { guardOf } from '../plugin/middleware.ts'

export function openDoors(routes: readonly RouteConfig[], label: (i: number) => string = (i) => `routes[${i}]`): string[] {
  const warnings: string[] = []
  routes.forEach((guarded, g) => {
    const guards = guarded.use.map(guardOf).filter(Boolean)
    if (!guards.length) return
    const gHosts = hostsOf(guarded)
    routes.forEach((open, o) => {
      if (o === g || open.pool !== guarded.pool || open.use.some((m) => guardOf(m))) return
      if (!pathsOverlap(guarded.path, open.path) || hostsCovered(hostsOf(open), gHosts)) return
      warnings.push(
        `${label(o)} (${describe(open)}) reaches pool "${open.pool}" without auth, while ${label(g)} (${describe(guarded)}) guards it with ${guards.join(', ')}: ` +
          `a request with another Host may reach ${guarded.path} on the same upstreams unguarded (give ${label(o)} the same guard, a host, or another pool)`,
      )
    })
  })
  return warnings
}

const hostsOf = (r: RouteConfig): string[] | undefined => (r.host === undefined ? undefined : [r.host].flat().map((h) => h.toLowerCase()))

const describe = (r: RouteConfig) => `${r.host === undefined ? 'any host' : `host ${[r.host].flat().join(', ')}`}, path ${r.path}`

/** Every host `inner` matches is matched by `outer` too (undefined = any host). */
function hostsCovered(inner: string[] | undefined, outer: string[] | undefined): boolean {
  if (outer === undefined) return true
  if (inner === undefined) return false
  return inner.every((h) => outer.includes(h) || (!h.startsWith('*.') && outer.some((o) => o.startsWith('*.') && h.endsWith(o.slice(1)) && !h.slice(0, -o.length + 1).includes('.'))))
}

/** Whether some path matches both patterns (route-schema's path rules: literals, `:param`, a trailing `*`). */
export function pathsOverlap(a: string, b: string): boolean {
  const sa = a.split('/').slice(1)
  const sb = b.split('/').slice(1)
  for (let i = 0; ; i++) {
    const x = sa[i]
    const y = sb[i]
    if (x === '*' || y === '*') return true // a rest matches whatever the other still needs
    if (x === undefined || y === undefined) return x === y
    if (!x.startsWith(':') && !y.startsWith(':') && x !== y) return false
  }
}
