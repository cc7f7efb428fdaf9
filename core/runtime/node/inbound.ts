/** The Node request as the core sees it, read straight from node:http's IncomingMessage. */
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import type { Inbound } from '../types.ts'

export function nodeInbound(c: Context): Inbound {
  const inc = (c.env as { incoming: IncomingMessage }).incoming
  const h = inc.headers
  const remote = inc.socket.remoteAddress ?? ''
  return {
    method: inc.method ?? 'GET',
    target: inc.url ?? '/',
    rawHeaders: inc.rawHeaders,
    header(name) {
      const v = h[name]
      return Array.isArray(v) ? v[0] : v
    },
    remoteAddress: remote.startsWith('::ffff:') ? remote.slice(7) : remote,
    secure: Boolean((inc.socket as { encrypted?: boolean }).encrypted),
    hasBody: h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0'),
    // Only requests that arrived through the server's 'upgrade' event carry the socket to hand over.
    websocket: (c.env as { upgrade?: unknown }).upgrade !== undefined,
    // A body that ended before it was complete, or a connection closed before the answer was sent.
    clientGone: () => (inc.destroyed && !inc.complete) || inc.socket?.destroyed === true,
  }
}
