/**
 * HTTP/2 on Bun and Deno beyond what their own servers give.
 *
 * Upstreams (both): an `h2c://`/`h2://` upstream goes through node:http2's client (h2-client.ts)
 * behind any listener; the answer reaches the client as a Web Response (no trailers).
 *
 * Listeners (Bun): Bun.serve (1.4.5) speaks HTTP/1.1 only, and a Web `Response` carries no
 * trailers, where gRPC keeps its status. Bun's `node:http2` server speaks h2 by ALPN (with
 * HTTP/1.1 on the same TLS port), h2c and trailers, so a Bun listener with HTTP/2 on runs Node's
 * serving code (../node/serve.ts) on that layer, and its requests go through Node's transport. A
 * listener without HTTP/2 stays on Bun.serve, faster for HTTP/1.1 (README "Runtimes").
 *
 * Not Deno's listeners: Deno's `node:http2` server (2.9.5) aborts the process (an nghttp2 assertion
 * in find_stream_on_goaway_func, `free(): invalid pointer`, a segfault) when h2load ends a run with
 * streams in flight, over TLS and h2c alike, in seconds at 50 connections × 20 streams: any client
 * could stop the gateway. Deno.serve (hyper) keeps serving HTTP/2 there, without trailers.
 *
 *     const { serve, request, transport } = nodeHttp2Listeners({ serve: bunServe, request: bunRequest, transport: bunTransport })
 *     const transport = http2Upstreams(denoTransport)
 */
import type { Context } from 'hono'
import { nodeServe } from '../node/serve.ts'
import { NodeRequest, nodeRequest } from '../node/request.ts'
import { nodeTransportWith } from '../node/transport.ts'
import { dispatchClients } from '../undici.ts'
import { webDispatchTransport } from '../web/dispatch-transport.ts'
import type { WebRequest } from '../web/request.ts'
import type { Runtime, Transport, TransportRequest } from '../types.ts'

type Parts = Pick<Runtime, 'serve' | 'request' | 'transport'>

/** The runtime's transport, with HTTP/2 upstreams sent through node:http2's client. */
export function http2Upstreams(native: Transport, clients = dispatchClients()): Transport {
  const webHttp2 = webDispatchTransport(clients, native.upgrade as Transport<WebRequest>['upgrade'])
  return {
    send: (req, up, out) => (up.protocol ? webHttp2.send(req as WebRequest, up, out) : native.send(req, up, out)),
    upgrade: (req, up, out) => native.upgrade(req, up, out),
    release(up) {
      clients.release(up)
      native.release(up)
    },
  }
}

/** The runtime's serve/request/transport, with HTTP/2 listeners moved onto its node:http2 layer. */
export function nodeHttp2Listeners(native: Parts): Parts {
  // One client per upstream address serves both kinds of listener.
  const clients = dispatchClients()
  const nodeTransport = nodeTransportWith(clients)
  const web = http2Upstreams(native.transport, clients)
  const transport: Transport = {
    send: (req, up, out) => (req instanceof NodeRequest ? nodeTransport.send(req, up, out) : web.send(req, up, out)),
    upgrade: (req, up, out) => (req instanceof NodeRequest ? nodeTransport.upgrade(req, up, out) : web.upgrade(req, up, out)),
    release: (up) => web.release(up),
  }
  return {
    serve: (fetch, opts) => (opts.http2 ? nodeServe(fetch, opts, 'compat') : native.serve(fetch, opts)),
    // @hono/node-server hands the app node:http's request and response as `c.env`; the native servers never do.
    request: (c: Context): TransportRequest => ((c.env as { incoming?: unknown } | undefined)?.incoming ? nodeRequest(c) : native.request(c)),
    transport,
  }
}
