/**
 * A Web runtime's forwarding path over an undici-shaped client (`dispatch(options, handler)`):
 * the request body read from the Web `Request`, the response body handed to the server as a Web
 * stream with back-pressure. Two uses:
 * - HTTP/2 upstreams behind Bun.serve and Deno.serve listeners, through node:http2's client
 *   (../node-http2/h2-client.ts); a Web Response carries no trailers, which only gRPC needs, and
 *   gRPC clients reach the gateway over HTTP/2, whose listeners do not come here.
 * - Deno's former HTTP/1.1 path, kept as a fallback (GATEHOUSE_DENO_CLIENT=undici): undici's
 *   Pools over Deno's node:net. Why not Deno's fetch: it always decompresses gzip/br response
 *   bodies while keeping the upstream's Content-Encoding and Content-Length headers (Deno issue
 *   #12291), ignores a Host header without `Deno.createHttpClient({ allowHost: true })`, and
 *   adds User-Agent, Accept-Language and Accept-Encoding of its own. undici sends what it is
 *   given, returns bytes as received, and measures connect, first-byte and idle timeouts itself.
 */
import type { Dispatcher } from 'undici'
import { filterResponseHeaders } from '../../proxy/hop-by-hop.ts'
import { classify, dispatch, headerPairs, type DispatchClient } from '../undici.ts'
import type { UpstreamClients } from '../upstream-clients.ts'
import type { OutboundRequest, SendResult, Transport, UpstreamFailure, UpstreamTarget } from '../types.ts'
import { requestBody } from './request-body.ts'
import type { WebRequest } from './request.ts'

async function* chunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

/** The transport over `pools`; WebSocket upgrades go to the runtime's own `upgrade`. */
export function webDispatchTransport(pools: UpstreamClients<DispatchClient, OutboundRequest>, upgrade: Transport<WebRequest>['upgrade']): Transport<WebRequest> {
  return {
    send({ request: inbound }: WebRequest, up: UpstreamTarget, req: OutboundRequest): Promise<SendResult> {
      const lease = pools.acquire(up, req)
      return new Promise<SendResult>((resolve) => {
        let status: number | undefined
        let bytes = 0
        let responded = false // the head went to the client: from here failures cut the client
        let settled = false // send() resolved, or a retryable status was turned into a failure
        let clientGone = false
        let finished = false
        let timedOut = false
        let abort: ((err?: Error) => void) | undefined
        let out: ReadableStreamDefaultController<Uint8Array> | undefined
        let resume: (() => void) | undefined
        const onClientGone = () => {
          clientGone = true // a client that leaves is not the upstream's failure
          abort?.(new Error('client closed the connection'))
        }
        inbound.signal.addEventListener('abort', onClientGone)
        const total = req.timeouts.total ? setTimeout(() => ((timedOut = true), abort?.(new Error('total timeout'))), req.timeouts.total) : undefined
        const finish = (failure?: UpstreamFailure) => {
          if (finished) return
          finished = true
          clearTimeout(total)
          inbound.signal.removeEventListener('abort', onClientGone)
          lease.done()
          req.onDone(clientGone ? undefined : failure, failure ? undefined : status, bytes)
        }
        const settle = (result: SendResult) => {
          settled = true
          resolve(result)
        }
        const fail = (failure: UpstreamFailure) => {
          finish(failure)
          settle({ ok: false, failure })
        }

        const body = req.hasBody ? requestBody(inbound) : undefined
        const attempt = body?.attempt()
        if (body && !attempt) return fail({ kind: 'error', message: 'the request body was already sent to a failed upstream' })

        const handler: Dispatcher.DispatchHandler = {
          onConnect(a) {
            abort = a
            if (inbound.signal.aborted) onClientGone()
            if (timedOut) a(new Error('total timeout'))
          },
          onHeaders(code, rawHeaders, res) {
            if (code < 200) return true // 1xx: the client's own 100-continue was answered by the server
            status = code
            if (req.retryStatus?.(code)) {
              // Opt-in retryOn: nothing has reached the client yet, so another upstream may answer instead.
              fail({ kind: 'status', message: `upstream answered ${code}` })
              abort?.(new Error('retrying on another upstream'))
              return false
            }
            body?.commit()
            responded = true
            const headers = filterResponseHeaders(rawHeaders.map((b) => b.toString('latin1')))
            req.onResponseHead?.(code, headers)
            const init = { status: code, headers: headerPairs(headers) }
            if (req.method === 'HEAD' || code === 204 || code === 205 || code === 304) {
              settle({ ok: true, response: new Response(null, init) })
              return true
            }
            resume = res
            const stream = new ReadableStream<Uint8Array>(
              {
                start: (ctrl) => void (out = ctrl),
                pull: () => resume?.(),
                cancel: () => {
                  clientGone = true
                  abort?.(new Error('client closed the connection'))
                  finish()
                },
              },
              { highWaterMark: 1 },
            )
            settle({ ok: true, response: new Response(stream, init) })
            return true
          },
          onData(chunk) {
            // undici flushes its parser with an empty chunk on resume(); pausing on that would keep
            // re-arming the idle timer forever.
            if (!out || chunk.length === 0) return true
            bytes += chunk.length
            out.enqueue(chunk)
            return (out.desiredSize ?? 0) > 0
          },
          onComplete() {
            try {
              out?.close()
            } catch {} // cancelled by the client meanwhile
            finish()
          },
          onError(err) {
            if (settled && !responded) return // the abort that follows a retryable status
            const failure: UpstreamFailure = timedOut ? { kind: 'total-timeout', message: 'total timeout' } : classify(err)
            if (!responded) return fail(failure)
            try {
              out?.error(err) // mid-body failure: the client must see a cut response, not a short one
            } catch {}
            finish(failure)
          },
        }

        dispatch(lease.client, up, req, attempt ? (chunks(attempt) as unknown as Dispatcher.DispatchOptions['body']) : null, handler)
      })
    },

    upgrade,

    release: (up) => pools.release(up),
  }
}

