/**
 * The forwarding path of Deno and Bun: the gateway's own HTTP/1.1 client (./client.ts) over the
 * runtime's sockets (a Connector per upstream URL), one keep-alive pool per upstream address,
 * closed once released (the upstream left its pool or moved) and idle. Raw bytes both ways with
 * the parser's strict framing: the upstream
 * gets exactly the headers the core prepared (no User-Agent or Accept of a client library), and
 * the body as sent (no decompression).
 *
 * The response body reaches the server as a pull-based stream (back-pressure: the upstream is
 * read only when the client takes more), except when the whole body came with the head and is
 * small: then as bytes, which Deno.serve and Bun.serve send much faster than a stream.
 *
 * A failure the request caused (a header that cannot be sent, a client body that broke off) is
 * not the upstream's: onDone gets no failure (outlier detection must not count it), the client 400.
 */
import { filterResponseHeaders } from '../../proxy/hop-by-hop.ts'
import { announcesBody } from '../../proxy/held-head.ts'
import { Exchange } from './client.ts'
import { arm, Deadline, disarm } from './deadlines.ts'
import { Http1Error } from './errors.ts'
import { Pool, type Connector } from './pool.ts'
import { concat } from '../web/bytes.ts'
import { markInMemory } from '../web/memory-body.ts'
import type { OutboundRequest, SendResult, Transport, UpstreamFailure, UpstreamTarget } from '../types.ts'
import { requestBody } from '../web/request-body.ts'
import type { WebRequest } from '../web/request.ts'
import { UpstreamClients } from '../upstream-clients.ts'

/** Bodies up to this size that arrived complete with the head are answered as bytes. */
const MAX_BYTES_BODY = 64 * 1024
/** How long an exchange runs before the client's going away is watched (plus up to one deadline tick). */
const CLIENT_WATCH_MS = 50

/** A failure the request caused (a header that cannot be sent, a body that broke off) is the client's: 'bad-request'. */
const failureOf = (err: unknown): UpstreamFailure =>
  err instanceof Http1Error
    ? { kind: err.byRequest ? 'bad-request' : err.kind, message: err.message }
    : { kind: 'error', message: (err as Error)?.message ?? String(err) }

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}


export function http1Transport<R extends WebRequest>(connector: (url: URL) => Connector, upgrade: Transport<R>['upgrade']): Transport<R> {
  const pools = new UpstreamClients<Pool>((url) => new Pool(connector(url)), (pool) => pool.close())
  return {
    async send({ request: inbound }: R, up: UpstreamTarget, req: OutboundRequest): Promise<SendResult> {
      if (up.protocol) return http2Refused(up, req)
      const lease = pools.acquire(up)
      const pool = lease.client
      let status: number | undefined
      let bytes = 0
      let clientGone = false
      let finished = false
      const body = req.hasBody ? requestBody(inbound) : undefined
      const ex = new Exchange(pool, {
        method: req.method,
        path: req.path,
        headers: req.headers,
        hasBody: req.hasBody,
        body: body && (() => body.attempt()),
        timeouts: req.timeouts,
      })
      const onClientGone = () => {
        clientGone = true // a client that leaves is not the upstream's failure
        ex.abort('error', 'client closed the connection')
      }
      // The client-gone signal is watched only once an exchange outlives CLIENT_WATCH_MS: touching
      // `request.signal` makes Deno.serve build it and abort it (a DOMException) when every request
      // ends — 8 % of the gateway's CPU in a profile. A client that left earlier is seen then.
      let watching = false
      const watch = new Deadline(() => {
        watching = true
        inbound.signal.addEventListener('abort', onClientGone)
        if (inbound.signal.aborted) onClientGone()
      })
      arm(watch, CLIENT_WATCH_MS)
      const total = req.timeouts.total ? setTimeout(() => ex.abort('total-timeout', 'total timeout'), req.timeouts.total) : undefined
      const finish = (failure?: UpstreamFailure) => {
        if (finished) return
        finished = true
        clearTimeout(total)
        disarm(watch)
        if (watching) inbound.signal.removeEventListener('abort', onClientGone)
        lease.done()
        req.onDone(clientGone ? undefined : failure, failure ? undefined : status, bytes)
      }

      let head
      try {
        head = await ex.start()
      } catch (err) {
        const failure = failureOf(err)
        finish(failure)
        return { ok: false, failure }
      }
      status = head.status
      if (req.retryStatus?.(status)) {
        // Opt-in retryOn: nothing has reached the client yet, so another upstream may answer instead.
        ex.cancel()
        const failure: UpstreamFailure = { kind: 'status', message: `upstream answered ${status}` }
        finish(failure)
        return { ok: false, failure }
      }
      if (req.method !== 'HEAD' && !ex.complete && !ex.buffered.length && announcesBody(status, head.headers)) {
        // The head goes out with its first body bytes (held-head.ts): a death before them is retried.
        try {
          ex.buffered = (await ex.read()) ?? []
        } catch (err) {
          const failure = failureOf(err)
          finish(failure)
          return { ok: false, failure }
        }
      }
      body?.commit()
      const headers = filterResponseHeaders(head.headers)
      req.onResponseHead?.(status, headers)
      let init: ResponseInit
      try {
        init = { status, headers: new Headers(pairs(headers)) }
      } catch (err) {
        ex.cancel() // a plugin set a header Headers refuses
        const failure: UpstreamFailure = { kind: 'error', message: (err as Error).message }
        finish(failure)
        return { ok: false, failure }
      }
      if (req.method === 'HEAD' || status === 204 || status === 205 || status === 304) {
        if (!ex.complete) ex.cancel() // 205 with a body: not ours to send (fetch has no body for it)
        finish()
        return { ok: true, response: new Response(null, init) }
      }
      if (ex.complete) {
        const parts = (await ex.read()) ?? []
        const all = concat(parts)
        if (all.length <= MAX_BYTES_BODY) {
          bytes = all.length
          finish()
          return { ok: true, response: markInMemory(new Response(all as Uint8Array<ArrayBuffer>, init)) }
        }
        ex.buffered = parts
      }
      const stream = new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          let parts: Uint8Array[] | null
          try {
            parts = await ex.read()
          } catch (err) {
            finish(failureOf(err)) // first: reported as the upstream's, before the client's side is torn down
            return ctrl.error(err) // mid-body failure: the client must see a cut response, not a short one
          }
          if (!parts) {
            ctrl.close()
            return finish()
          }
          for (const p of parts) {
            bytes += p.length
            ctrl.enqueue(p)
          }
        },
        cancel() {
          clientGone = true
          ex.abort('error', 'client closed the connection')
          finish()
        },
      })
      return { ok: true, response: new Response(stream, init) }
    },

    upgrade,

    release: (up) => pools.release(up),
  }
}

const warned = new Set<string>()

/**
 * An h2c:// or h2:// upstream: this client speaks HTTP/1.1 only, which such an upstream would not
 * understand. It fails as an upstream error (502), said once per upstream on stderr.
 */
function http2Refused(up: UpstreamTarget, req: OutboundRequest): SendResult {
  const message = `upstream ${up.url.host} is ${up.protocol}, and this runtime's upstream client speaks HTTP/1.1 only (HTTP/2 upstreams need Node: README "HTTP/2 and gRPC")`
  if (!warned.has(up.id)) {
    warned.add(up.id)
    console.error(`gatehouse: ${message}`)
  }
  const failure: UpstreamFailure = { kind: 'error', message }
  req.onDone(failure)
  return { ok: false, failure }
}
