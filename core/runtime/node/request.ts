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
import { nodeCompression } from './compression.ts'

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
  /** node:zlib in the transport, also where this runs on Bun's node:http2 layer. */
  readonly compression = nodeCompression

  constructor(
    readonly incoming: IncomingMessage,
    /** Undefined for an upgrade request (the server's 'upgrade' event has no response object). */
    readonly outgoing: ServerResponse | undefined,
    readonly upgrade: UpgradeSocket | undefined,
  ) {
    this.inbound = nodeInbound(incoming, upgrade !== undefined)
    if (incoming.httpVersionMajor === 2) breakBodyOnReset(incoming)
  }

  /** An HTTP/2 request whose stream the client already reset (or that broke off): nothing may be forwarded for it. */
  get streamGone(): boolean {
    return this.incoming.httpVersionMajor === 2 && (this.incoming as unknown as { stream: { destroyed: boolean } }).stream.destroyed
  }

  get trailers(): boolean {
    return this.incoming.httpVersionMajor === 2
  }

  limitBody(maxBytes: number): undefined {
    // Node writes its own 413 on the socket (node:http has no say once the fast path owns the response).
    // Called for a body without Content-Length: chunked on HTTP/1.1, DATA frames on HTTP/2.
    if (this.outgoing && this.incoming.headers['content-length'] === undefined) limitNodeBody(this.incoming, this.outgoing, maxBytes)
    return undefined
  }
}

export function nodeRequest(c: Context): NodeRequest {
  const env = c.env as { incoming: IncomingMessage; outgoing?: ServerResponse; upgrade?: UpgradeSocket }
  return new NodeRequest(env.incoming, env.outgoing, env.upgrade)
}

function nodeInbound(inc: IncomingMessage, upgrade: boolean): Inbound {
  if (inc.httpVersionMajor === 2) return http2Inbound(inc)
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

/**
 * node:http2's compat request ends its body as if complete ('end') when its stream is reset: by the
 * client (RST_STREAM CANCEL mid-upload), or by the HTTP/2 layer itself (DATA that disagrees with
 * Content-Length). Forwarded, that truncated body would complete a chunked upstream request, or go
 * out as `content-length: 0` when the reset came before the request was sent (checked on Node,
 * Bun and Deno). The body errors instead, so the upstream request is aborted, as a broken HTTP/1.1
 * body is; the transport sends nothing for a stream that is already gone (`streamGone`).
 */
function breakBodyOnReset(inc: IncomingMessage): void {
  const stream = (inc as unknown as { stream: { destroyed: boolean; rstCode?: number; once(e: 'close', fn: () => void): void } }).stream
  const reset = () => stream.rstCode !== 0 && !inc.readableEnded
  const broken = () => new Error('the client reset its HTTP/2 stream before the request body ended')
  inc.on('error', () => {}) // no reader yet (the request may still be in middleware): the error is for readers, not a crash
  if (stream.destroyed) {
    if (reset()) inc.destroy(broken())
    return
  }
  // After the compat layer's own 'close' listener pushed the end: destroying now keeps 'end' from being emitted.
  stream.once('close', () => {
    if (reset()) inc.destroy(broken())
  })
}

/**
 * An HTTP/2 request (node:http2's compat API hands it over like an IncomingMessage): the pseudo
 * headers are not headers to the core; `:authority` stands in for a missing Host (RFC 9113
 * §8.3.1), and a body is whatever follows a HEADERS frame that did not end the stream.
 */
function http2Inbound(inc: IncomingMessage): Inbound {
  const h = inc.headers
  const rawHeaders: string[] = []
  const raw = inc.rawHeaders
  for (let i = 0; i < raw.length; i += 2) if (raw[i]![0] !== ':') rawHeaders.push(raw[i]!, raw[i + 1]!)
  const authority = h[':authority'] as string | undefined
  if (h.host === undefined && authority !== undefined) rawHeaders.unshift('host', authority)
  // RFC 9113 §8.3.1: a Host beside :authority must name the same authority. Routing reads Host, so
  // one that differs would route (and pass an admin rule) by a host the client's :authority did not name.
  let malformed: string | undefined
  if (authority !== undefined && h.host !== undefined) {
    const named = authority.toLowerCase()
    for (let i = 0; i < rawHeaders.length && !malformed; i += 2) {
      if (rawHeaders[i]!.toLowerCase() === 'host' && rawHeaders[i + 1]!.toLowerCase() !== named) malformed = 'Host differs from :authority'
    }
  }
  const stream = (inc as unknown as { stream: { endAfterHeaders: boolean; destroyed: boolean } }).stream
  const remote = inc.socket?.remoteAddress ?? ''
  return {
    method: inc.method ?? 'GET',
    target: inc.url ?? '/',
    rawHeaders,
    header(name) {
      const v = name === 'host' ? (h.host ?? authority) : h[name]
      return Array.isArray(v) ? v[0] : v
    },
    remoteAddress: remote.startsWith('::ffff:') ? remote.slice(7) : remote,
    secure: Boolean((inc.socket as { encrypted?: boolean } | undefined)?.encrypted),
    hasBody: !stream.endAfterHeaders,
    malformed,
    websocket: false, // RFC 8441 (WebSocket over HTTP/2) is not offered: browsers use HTTP/1.1 for it
    clientGone: () => (inc.destroyed && !inc.complete) || stream.destroyed,
  }
}
