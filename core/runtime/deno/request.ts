/**
 * The Deno request as the core sees it. Deno keeps the path as received (the core normalizes
 * it) and, for an absolute-form target (`GET http://other/x`), puts the target's authority in
 * `request.url` while the Host header keeps what the client sent: that difference is how the
 * absolute form is recognized and passed on, so routing matches its host as on Node.
 */
import type { Context } from 'hono'
import { authorityOf, originForm, webInbound } from '../web/inbound.ts'
import { WebRequest } from '../web/request.ts'
import type { DenoServeInfo } from './api.ts'

export function denoRequest(c: Context): WebRequest<DenoServeInfo | undefined> {
  const req = c.req.raw
  const remote = (c.env as DenoServeInfo | undefined)?.remoteAddr
  const host = req.headers.get('host')
  const secure = req.url.startsWith('https:')
  const absolute = host !== null && authorityOf(req.url) !== withoutDefaultPort(host.toLowerCase(), secure)
  // No Host: an HTTP/2 request (Deno put its :authority in the URL), or an HTTP/1.x one without
  // Host, for which Deno put `localhost:<port>` there and which must be refused (400). Nothing else
  // tells the two apart, so an HTTP/2 request for `localhost` is refused too (README: HTTP/2 and gRPC).
  const authority = host === null ? authorityOf(req.url) : undefined
  const implied = authority !== undefined && !SYNTHETIC_HOST.test(authority) ? authority : undefined
  return new WebRequest(req, webInbound(req, remote?.hostname ?? '', absolute ? req.url : originForm(req.url), secure, implied), c.env as DenoServeInfo | undefined)
}

const SYNTHETIC_HOST = /^localhost(:\d+)?$/

function withoutDefaultPort(host: string, secure: boolean): string {
  const port = secure ? ':443' : ':80'
  return host.endsWith(port) ? host.slice(0, -port.length) : host
}
