/**
 * The Node request as the core and the Node transport see it, read straight from node:http's
 * IncomingMessage: the body source (`incoming`), the raw response sink (`outgoing`, written by the
 * fast path), and for a WebSocket upgrade the client's socket to hand over.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Context } from 'hono'
import type { Inbound, TransportRequest } from '../types.ts'
import { limitNodeBody } from './body-limit.ts'

/** An upgrade request's client socket (node:http's 'upgrade' event), for the transport to take over (websocket.ts). */
export interface UpgradeSocket {
  socket: Socket
  /** Bytes the client sent after its request head. */
  head: Buffer
  /** Set once a transport took the socket: the server must not answer on it. */
  taken: boolean
  /** Spliced sockets, which the HTTP server no longer tracks (closed on shutdown). */
  open: Set<Socket>
}

export class NodeRequest implements TransportRequest {
  readonly inbound: Inbound

  constructor(
    readonly incoming: IncomingMessage,
    /** Undefined for an upgrade request (the server's 'upgrade' event has no response object). */
    readonly outgoing: ServerResponse | undefined,
    readonly upgrade: UpgradeSocket | undefined,
  ) {
    this.inbound = nodeInbound(incoming, upgrade !== undefined)
  }

  limitBody(maxBytes: number): undefined {
    // Node writes its own 413 on the socket (node:http has no say once the fast path owns the response).
    if (this.outgoing && this.incoming.headers['transfer-encoding'] !== undefined) limitNodeBody(this.incoming, this.outgoing, maxBytes)
    return undefined
  }
}

export function nodeRequest(c: Context): NodeRequest {
  const env = c.env as { incoming: IncomingMessage; outgoing?: ServerResponse; upgrade?: UpgradeSocket }
  return new NodeRequest(env.incoming, env.outgoing, env.upgrade)
}

function nodeInbound(inc: IncomingMessage, upgrade: boolean): Inbound {
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
    websocket: upgrade,
    // A body that ended before it was complete, or a connection closed before the answer was sent.
    clientGone: () => (inc.destroyed && !inc.complete) || inc.socket?.destroyed === true,
  }
}
