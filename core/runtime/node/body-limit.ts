/**
 * The body limit of a chunked upload on Node (TransportRequest.limitBody, core/runtime/io/body-limit.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { constants, type Http2ServerResponse } from 'node:http2'
import { PAYLOAD_TOO_LARGE } from '../io/body-limit.ts'

/** After a 413 the client still sending is given this long to read it before the connection is closed. */
const LINGER_MS = 1_000

/**
 * Counts the body as node:http's parser hands it over (`push`), so nothing changes on the path
 * the transport reads. Bytes already buffered count too. Past `max`: no more bytes reach the
 * request stream; a 413 is written if no response has started (then the connection closes once
 * the client has read it, or after LINGER_MS), else the connection is closed at once. Either
 * way the transport sees a client that went away and aborts the upstream's request.
 */
export function limitNodeBody(incoming: IncomingMessage, outgoing: ServerResponse, max: number): void {
  let seen = incoming.readableLength
  let over = false
  const push = incoming.push
  const exceeded = () => {
    over = true
    if (incoming.httpVersionMajor === 2) return exceededHttp2(outgoing as unknown as Http2ServerResponse)
    const socket = incoming.socket
    if (outgoing.headersSent || socket.destroyed) return void socket.destroy()
    const body = Buffer.from(PAYLOAD_TOO_LARGE)
    socket.end(`HTTP/1.1 413 Payload Too Large\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${PAYLOAD_TOO_LARGE}`)
    const linger = setTimeout(() => socket.destroy(), LINGER_MS)
    socket.once('end', () => socket.destroy())
    socket.once('close', () => clearTimeout(linger))
  }
  incoming.push = function (chunk: unknown, encoding?: BufferEncoding) {
    if (chunk === null) return over ? false : push.call(this, chunk, encoding)
    if (over) return true
    seen += (chunk as Buffer).length
    if (seen > max) {
      exceeded()
      return true
    }
    return push.call(this, chunk, encoding)
  }
  if (seen > max) exceeded()
}

/**
 * HTTP/2: the stream, not the connection, is what ends (other streams share the socket). The 413
 * goes out if no response has started, then RST_STREAM (NO_ERROR) tells the client to stop sending.
 */
function exceededHttp2(outgoing: Http2ServerResponse): void {
  const stream = outgoing.stream
  if (stream.destroyed) return
  if (!stream.headersSent) {
    stream.respond({ ':status': 413, 'content-type': 'text/plain; charset=utf-8', 'x-gatehouse-error': 'body-too-large' })
    stream.end(PAYLOAD_TOO_LARGE, () => stream.close(constants.NGHTTP2_NO_ERROR))
  } else stream.close(constants.NGHTTP2_CANCEL)
}
