/**
 * Node's fast path (DESIGN.md §5): undici `Pool.dispatch()` per upstream address, response head
 * and body written straight into the raw ServerResponse with write() back-pressure, and
 * RESPONSE_ALREADY_SENT returned to Hono. No Web Response around the upstream body (that halves
 * throughput), no fetch (that divides it by five). Bodies stream both ways; nothing is buffered.
 */
import type { Transform } from 'node:stream'
import type { Dispatcher } from 'undici'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { filterResponseHeaders } from '../../proxy/hop-by-hop.ts'
import { announcesBody } from '../../proxy/held-head.ts'
import { classify, dispatch, headerPairs, headerStrings, dispatchClients } from '../undici.ts'
import type { NodeRequest } from './request.ts'
import { upgradeToUpstream } from './websocket.ts'
import { nodeEncoder } from './compression.ts'
import { keepRequestStreaming, respondHeadOnly } from './http2.ts'
import type { Http2ServerResponse } from 'node:http2'
import type { OutboundRequest, SendResult, Transport, UpstreamFailure, UpstreamTarget } from '../types.ts'

/** The Node transport over these upstream clients (`dispatchClients()` on Node; node-http2/listeners.ts passes its own). */
export function nodeTransportWith(pools: ReturnType<typeof dispatchClients>): Transport<NodeRequest> {
  return {
    send(request: NodeRequest, up: UpstreamTarget, req: OutboundRequest): Promise<SendResult> {
      const { incoming, outgoing: sink } = request
      const outgoing = sink! // only upgrade requests have none, and they go to upgrade()
      if (incoming.httpVersionMajor === 2) keepRequestStreaming(outgoing)
      const lease = pools.acquire(up, req)
      return new Promise<SendResult>((resolve) => {
        let status: number | undefined
        let bytes = 0
        let responded = false // the head went to the client: from here failures cut the client
        let settled = false // send() resolved, or a retryable status was turned into a failure
        let clientGone = false
        let finished = false
        let abort: ((err?: Error) => void) | undefined
        let drained: (() => void) | undefined
        let sink: Transform | undefined // the compressor between the upstream body and the client, if any
        let timedOut = false
        let held: string[] | undefined // a response head waiting for its first body bytes
        let headOnly = false // sent as one HEADERS frame that ended the stream (respondHeadOnly)
        /** `bodyless`: the upstream's response ended without body bytes (gRPC's trailers-only answer). */
        const respond = (code: number, headers: string[], bodyless = false) => {
          held = undefined
          const encoding = req.onResponseHead?.(code, headers)
          responded = true
          if (req.method === 'HEAD') {
            // Hono answers HEAD by wrapping the GET result in a new Response, which would turn
            // RESPONSE_ALREADY_SENT into a second head; a HEAD response has no body to stream anyway.
            settle({ ok: true, response: new Response(null, { status: code, headers: headerPairs(headers) }) })
            return
          }
          // The upstream answered before the client finished sending its body (an early 413, say):
          // close this client connection after the response rather than read the rest to discard.
          if (req.hasBody && !incoming.complete && incoming.httpVersionMajor === 1) headers.push('connection', 'close')
          if (bodyless && incoming.httpVersionMajor === 2) {
            respondHeadOnly(outgoing as unknown as Http2ServerResponse, code, headers) // a gRPC trailers-only answer stays one
            headOnly = true
            settle({ ok: true, response: RESPONSE_ALREADY_SENT })
            return
          }
          outgoing.writeHead(code, headers)
          if (encoding) {
            // compress(): the body goes through node:zlib, whose back-pressure includes the client's.
            sink = nodeEncoder(encoding)
            sink.pipe(outgoing)
          }
          settle({ ok: true, response: RESPONSE_ALREADY_SENT })
        }
        const totalTimer = req.timeouts.total
          ? setTimeout(() => ((timedOut = true), abort?.(new Error('total timeout'))), req.timeouts.total)
          : undefined
        const finish = (failure?: UpstreamFailure) => {
          if (finished) return
          finished = true
          clearTimeout(totalTimer)
          outgoing.off('close', onClientClose)
          lease.done()
          req.onDone(clientGone ? undefined : failure, failure ? undefined : status, bytes)
        }
        const settle = (result: SendResult) => {
          settled = true
          resolve(result)
        }
        const onClientClose = () => {
          if (outgoing.writableFinished) return
          clientGone = true // a client that leaves is not the upstream's failure
          abort?.(new Error('client closed the connection'))
        }
        outgoing.once('close', onClientClose)

        const handler: Dispatcher.DispatchHandler = {
          onConnect(a) {
            abort = a
            if (outgoing.destroyed) onClientClose()
            if (timedOut) a(new Error('total timeout'))
          },
          onHeaders(code, rawHeaders, resume) {
            if (code < 200) return true // 1xx: the client's own 100-continue was answered by the server
            status = code
            if (req.retryStatus?.(code)) {
              // Opt-in retryOn: nothing has reached the client yet, so another upstream may answer instead.
              const failure: UpstreamFailure = { kind: 'status', message: `upstream answered ${code}` }
              finish(failure)
              settle({ ok: false, failure })
              abort?.(new Error('retrying on another upstream'))
              return false
            }
            const headers = filterResponseHeaders(headerStrings(rawHeaders))
            if (req.grpc) reportGrpcStatus(req, headers) // a trailers-only answer carries it in the head
            drained = resume
            // A head that announces a body goes out with its first bytes: an upstream that dies
            // between the two (a killed container) is then a failure before the answer, retried.
            if (req.method !== 'HEAD' && (announcesBody(code, headers) || (req.grpc && incoming.httpVersionMajor === 2))) held = headers
            else respond(code, headers)
            return true
          },
          onData(chunk) {
            if (held) respond(status!, held)
            bytes += chunk.length
            const out = sink ?? outgoing
            if (out.write(chunk)) return true
            out.once('drain', drained!) // only when the client is slower than the upstream
            return false
          },
          onComplete(trailers) {
            if (held) respond(status!, held, !(trailers && Object.keys(trailerObject(trailers)).length))
            // Trailers (gRPC's status) reach an HTTP/2 client; HTTP/1.1 clients never asked for them (no `TE: trailers` is forwarded).
            if (headOnly) return finish()
            if (trailers && incoming.httpVersionMajor === 2 && !outgoing.destroyed) {
              const t = trailerObject(trailers)
              if (Object.keys(t).length) outgoing.addTrailers(t)
              if (req.grpc && t['grpc-status'] !== undefined) req.grpcStatus?.(Number(t['grpc-status']))
            }
            if (req.method !== 'HEAD') (sink ?? outgoing).end()
            if (req.hasBody && !incoming.complete) incoming.resume() // unread body: let the close proceed
            finish()
          },
          onError(err) {
            if (settled && !responded) return // the abort that follows a retryable status
            const failure: UpstreamFailure = timedOut ? { kind: 'total-timeout', message: 'total timeout' } : classify(err)
            if (responded && timedOut && req.grpc && incoming.httpVersionMajor === 2 && !outgoing.destroyed) {
              // A gRPC deadline during the response: the client gets the status it expects, not a reset stream.
              finish(failure)
              outgoing.addTrailers({ 'grpc-status': '4', 'grpc-message': 'deadline exceeded at the gateway' })
              req.grpcStatus?.(4)
              ;(sink ?? outgoing).end()
            } else if (responded) {
              finish(failure) // first: once the client's socket is destroyed, the exchange would blame the client
              sink?.unpipe(outgoing).destroy()
              outgoing.destroy(err) // mid-body failure: the client must see a broken response, not a short one
            } else {
              finish(failure)
              settle({ ok: false, failure })
            }
          },
        }

        // undici leaves the client's stream untouched when the connection fails, so a refused
        // connection can be retried on another upstream with the same, still unread, body.
        const send = () => dispatch(lease.client, up, req, req.hasBody ? incoming : null, handler)
        if (incoming.httpVersionMajor !== 2) return send()
        // HTTP/2: forwarded one event-loop turn later, once the frames that came with the request are
        // read. A stream the client reset in the meantime (rapid reset, CVE-2023-44487: HEADERS then
        // RST_STREAM, a thousand times per connection), or that the HTTP/2 layer refused (DATA beyond
        // its Content-Length), never reaches the upstream: sent at once, ~half of a raw rapid-reset
        // flood's cancelled streams were complete requests upstream (529 of 1,100), deferred none.
        setImmediate(() => {
          if (!request.streamGone) return send()
          clientGone = true
          const failure: UpstreamFailure = { kind: 'client-closed', message: 'the client reset the stream before it was forwarded' }
          finish(failure)
          settle({ ok: false, failure })
        })
      })
    },

    upgrade: upgradeToUpstream,

    release: (up) => pools.release(up),
  }
}

export const nodeTransport = nodeTransportWith(dispatchClients())

/** `grpc-status` in a response head (a gRPC trailers-only answer), for the record. */
function reportGrpcStatus(req: OutboundRequest, headers: readonly string[]): void {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === 'grpc-status') return req.grpcStatus?.(Number(headers[i + 1]))
}

/**
 * undici's trailers as the object `addTrailers()` takes: a flat raw list from HTTP/1.1 upstreams,
 * node:http2's trailers object from HTTP/2 ones (repeated names joined, as HTTP allows).
 */
function trailerObject(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  const add = (name: string, value: string) => void (out[name] = name in out ? `${out[name]}, ${value}` : value)
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) add(String(raw[i]).toLowerCase(), Buffer.isBuffer(raw[i + 1]) ? raw[i + 1].toString('latin1') : String(raw[i + 1]))
  } else if (raw && typeof raw === 'object') {
    for (const [name, value] of Object.entries(raw)) if (name[0] !== ':') add(name, Array.isArray(value) ? value.join(', ') : String(value))
  }
  return out
}
