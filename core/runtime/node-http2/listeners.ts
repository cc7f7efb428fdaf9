/**
 * HTTP/2 on Bun and Deno, through their node:http2 layers. Their own servers cannot give a client
 * what HTTP/2 and gRPC need: Bun.serve (1.4.5) speaks HTTP/1.1 only, and a Web `Response`
 * (Bun.serve, Deno.serve) carries no trailers, where gRPC's status lives. Their `node:http2`
 * servers do speak h2 by ALPN (with HTTP/1.1 on the same TLS port), h2c, and trailers (checked on
 * Bun 1.4.5 and Deno 2.9.5). So a listener with HTTP/2 on runs Node's serving code
 * (../node/serve.ts) on that layer, and its requests go through Node's transport (undici, the
 * real package: ../undici.ts). A listener without HTTP/2 stays on the native server and client,
 * which are faster for HTTP/1.1 (README "Runtimes").
 *
 *     const { serve, request, transport } = nodeHttp2Listeners({ serve: bunServe, request: bunRequest, transport: bunTransport })
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

/** The runtime's serve/request/transport, with HTTP/2 listeners moved onto its node:http2 layer. */
export function nodeHttp2Listeners(native: Parts): Parts {
  // HTTP/2 upstreams (node:http2's client) from either kind of listener: one client per upstream address serves both.
  const clients = dispatchClients()
  const nodeTransport = nodeTransportWith(clients)
  const webHttp2 = webDispatchTransport(clients, native.transport.upgrade as Transport<WebRequest>['upgrade'])
  const transport: Transport = {
    send: (req, up, out) =>
      req instanceof NodeRequest ? nodeTransport.send(req, up, out) : up.protocol ? webHttp2.send(req as WebRequest, up, out) : native.transport.send(req, up, out),
    upgrade: (req, up, out) => (req instanceof NodeRequest ? nodeTransport.upgrade(req, up, out) : native.transport.upgrade(req, up, out)),
    release(up) {
      clients.release(up)
      native.transport.release(up)
    },
  }
  return {
    serve: (fetch, opts) => (opts.http2 ? nodeServe(fetch, opts, 'compat') : native.serve(fetch, opts)),
    // @hono/node-server hands the app node:http's request and response as `c.env`; the native servers never do.
    request: (c: Context): TransportRequest => ((c.env as { incoming?: unknown } | undefined)?.incoming ? nodeRequest(c) : native.request(c)),
    transport,
  }
}
