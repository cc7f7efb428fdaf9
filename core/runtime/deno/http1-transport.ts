/**
 * Deno's forwarding path: the gateway's own HTTP/1.1 client (../http1/) over `Deno.connect`, one
 * keep-alive pool per upstream. Deno's fetch decompresses bodies (see undici-transport.ts), and
 * undici through Deno's node:net compatibility layer is slow (~0.2× of direct access on the
 * bench machine); this path sends and reads raw bytes with the parser's strict framing.
 *
 * The response body reaches Deno.serve as a pull-based stream (back-pressure: the upstream is
 * read only when the client takes more), except when the whole body came with the head and is
 * small: then as bytes, which Deno.serve sends much faster than a stream.
 */
import type { Context } from 'hono'
import type { UpstreamRuntime } from '../../pools/upstream-state.ts'
import { filterResponseHeaders } from '../../proxy/hop-by-hop.ts'
import { Exchange } from '../http1/client.ts'
import { Http1Error } from '../http1/errors.ts'
import { Pool } from '../http1/pool.ts'
import { concat } from '../web/bytes.ts'
import type { OutboundRequest, SendResult, Transport, UpstreamFailure } from '../types.ts'
import { requestBody } from '../web/request-body.ts'
import { denoConnector } from './socket.ts'
import { upgradeToUpstream } from './websocket.ts'

/** Bodies up to this size that arrived complete with the head are answered as bytes. */
const MAX_BYTES_BODY = 64 * 1024

const failureOf = (err: unknown): UpstreamFailure =>
  err instanceof Http1Error ? { kind: err.kind, message: err.message } : { kind: 'error', message: (err as Error)?.message ?? String(err) }

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}

export const http1Transport: Transport = {
  async send(c: Context, up: UpstreamRuntime, req: OutboundRequest): Promise<SendResult> {
    const inbound = c.req.raw
    const pool = (up.client ??= new Pool(denoConnector(up.url))) as Pool
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
    inbound.signal.addEventListener('abort', onClientGone)
    if (inbound.signal.aborted) onClientGone()
    const total = req.timeouts.total ? setTimeout(() => ex.abort('total-timeout', 'total timeout'), req.timeouts.total) : undefined
    const finish = (failure?: UpstreamFailure) => {
      if (finished) return
      finished = true
      clearTimeout(total)
      inbound.signal.removeEventListener('abort', onClientGone)
      req.onDone(clientGone ? undefined : failure, failure ? undefined : status, bytes)
    }
    const fail = (failure: UpstreamFailure): SendResult => {
      finish(failure)
      return { ok: false, failure }
    }

    let head
    try {
      head = await ex.start()
    } catch (err) {
      return fail(failureOf(err))
    }
    status = head.status
    if (req.retryStatus?.(status)) {
      // Opt-in retryOn: nothing has reached the client yet, so another upstream may answer instead.
      ex.cancel()
      return fail({ kind: 'status', message: `upstream answered ${status}` })
    }
    body?.commit()
    const headers = filterResponseHeaders(head.headers)
    req.onResponseHead?.(status, headers)
    let init: ResponseInit
    try {
      init = { status, headers: new Headers(pairs(headers)) }
    } catch (err) {
      ex.cancel() // a plugin set a header Headers refuses
      return fail({ kind: 'error', message: (err as Error).message })
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
        return { ok: true, response: new Response(all as Uint8Array<ArrayBuffer>, init) }
      }
      ex.buffered = parts
    }
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        let parts: Uint8Array[] | null
        try {
          parts = await ex.read()
        } catch (err) {
          ctrl.error(err) // mid-body failure: the client must see a cut response, not a short one
          return finish(failureOf(err))
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

  upgrade: upgradeToUpstream,

  release(up: UpstreamRuntime): void {
    const pool = up.client as Pool | undefined
    up.client = undefined
    pool?.close()
  },
}
