/**
 * The plain-HTTP listener beside an HTTPS one (`listen.tls.redirectHttp`): every request gets a
 * 308 to the same host and path on https (308 keeps the method and body, unlike 301), except
 * the health path (load balancers often probe plain HTTP) and ACME HTTP-01 challenges, which a
 * certificate source may answer.
 */
import { normalizeHost } from '../routing/host-pattern.ts'

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$|^\[[0-9a-f:.]+\]$/
const CHALLENGE = '/.well-known/acme-challenge/'

export interface RedirectOptions {
  /** The port clients reach HTTPS on. */
  httpsPort: number
  healthPath: string | false
  challenge?: (token: string) => string | undefined
}

const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } })

export function httpsRedirect({ httpsPort, healthPath, challenge }: RedirectOptions): (req: Request) => Response {
  return (req) => {
    const url = new URL(req.url)
    if (healthPath && url.pathname === healthPath) return text(200, 'ok\n')
    if (challenge && url.pathname.startsWith(CHALLENGE)) {
      const answer = challenge(url.pathname.slice(CHALLENGE.length))
      return answer === undefined ? text(404, 'gatehouse: no such challenge\n') : text(200, answer)
    }
    const host = normalizeHost(req.headers.get('host') ?? '')
    if (!HOST.test(host)) return text(400, 'gatehouse: a Host header is needed to redirect to https\n', { connection: 'close' })
    const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${url.pathname}${url.search}`
    return text(308, `gatehouse: this site is served at ${location}\n`, { location })
  }
}
