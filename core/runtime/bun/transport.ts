/**
 * Bun's forwarding path (DESIGN.md §5): plain `fetch()`, the fastest client Bun has, with no
 * redirects followed and no decompression, the upstream's Response handed to Bun.serve with only
 * its body wrapped (to time out a stalled body and to report the end exactly once).
 *
 * Timeouts, since fetch has only an abort signal: first byte = from sending (restarted by each
 * request-body chunk, paused while the client is slow to send) to the response head; idle =
 * between response-body chunks, counted only while the client is asking for more; connect = a
 * probe connection decides, when the connect timeout passes without an answer (connect-probe.ts);
 * total = the whole exchange.
 */
import type { Context } from 'hono'
import type { UpstreamRuntime } from '../../pools/upstream-state.ts'
import { filterResponseHeaders } from '../../proxy/hop-by-hop.ts'
import type { FailureKind, OutboundRequest, SendResult, Transport, UpstreamFailure } from '../types.ts'
import { requestBody } from '../web/request-body.ts'
import { probeConnect } from './connect-probe.ts'
import { FetchSlots } from './fetch-slots.ts'
import { nullBodyStatus, pairs, relayBody, TimeoutAbort } from './relay-body.ts'
import { upgradeToUpstream } from './websocket.ts'
import { bufferable, markBuffered } from './buffered.ts'

const KIND_BY_CODE: Record<string, FailureKind> = {
  ECONNREFUSED: 'refused',
  ConnectionRefused: 'refused',
  FailedToOpenSocket: 'refused',
  ENOTFOUND: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  ECONNRESET: 'reset',
  ConnectionClosed: 'reset',
  EPIPE: 'reset',
}

export function classify(err: unknown): UpstreamFailure {
  if (err instanceof TimeoutAbort) return { kind: err.kind, message: err.message }
  const e = err as { code?: string; message?: string }
  return { kind: KIND_BY_CODE[e?.code ?? ''] ?? 'error', message: e?.message ?? String(err) }
}

class ClientGone extends Error {}

export function bunTransport(slots = new FetchSlots()): Transport {
  return {
    async send(c: Context, up: UpstreamRuntime, req: OutboundRequest): Promise<SendResult> {
      const inbound = c.req.raw
      const release = await slots.acquire()
      const ac = new AbortController()
      const abort = (reason: unknown) => ac.abort(reason)
      let status: number | undefined
      let bytes = 0
      let clientGone = false
      let finished = false
      const onClientGone = () => {
        clientGone = true // a client that leaves is not the upstream's failure
        abort(new ClientGone('client closed the connection'))
      }
      inbound.signal.addEventListener('abort', onClientGone)
      const total = req.timeouts.total ? setTimeout(() => abort(new TimeoutAbort('total-timeout')), req.timeouts.total) : undefined
      const finish = (failure?: UpstreamFailure) => {
        if (finished) return
        finished = true
        clearTimeout(total)
        release()
        inbound.signal.removeEventListener('abort', onClientGone)
        req.onDone(clientGone ? undefined : failure, failure ? undefined : status, bytes)
      }
      const fail = (failure: UpstreamFailure): SendResult => {
        finish(failure)
        return { ok: false, failure }
      }

      let firstByte: ReturnType<typeof setTimeout> | undefined
      const armFirstByte = () => {
        clearTimeout(firstByte)
        firstByte = setTimeout(() => abort(new TimeoutAbort('first-byte-timeout')), req.timeouts.firstByte)
      }
      const pauseFirstByte = () => clearTimeout(firstByte)
      const connect = setTimeout(() => {
        void probeConnect(up.url, req.timeouts.connect).then((r) => r === 'timeout' && abort(new TimeoutAbort('connect-timeout')))
      }, req.timeouts.connect)

      const body = req.hasBody ? requestBody(inbound) : undefined
      const stream = body?.attempt({ waiting: pauseFirstByte, chunk: armFirstByte })
      if (body && !stream) return fail({ kind: 'error', message: 'the request body was already sent to a failed upstream' })
      armFirstByte()

      let res: Response
      try {
        res = await fetch(up.url.origin + req.path, {
          method: req.method,
          headers: pairs(req.headers),
          body: stream,
          redirect: 'manual',
          signal: ac.signal,
          // Bun's own options: the body as sent, no socket idle timer of its own (ours govern).
          decompress: false,
          timeout: false,
          duplex: 'half',
        } as RequestInit)
      } catch (err) {
        return fail(classify(ac.signal.aborted ? ac.signal.reason : err))
      } finally {
        clearTimeout(firstByte)
        clearTimeout(connect)
      }
      status = res.status
      if (req.retryStatus?.(res.status)) {
        // Opt-in retryOn: nothing has reached the client yet, so another upstream may answer instead.
        abort(new Error('retrying on another upstream'))
        void res.body?.cancel().catch(() => {})
        return fail({ kind: 'status', message: `upstream answered ${res.status}` })
      }
      body?.commit()

      const headers: string[] = []
      res.headers.forEach((value, name) => void headers.push(name, value))
      const sent = filterResponseHeaders(headers)
      req.onResponseHead?.(res.status, sent)
      const init = { status: res.status, statusText: res.statusText, headers: pairs(sent) }
      if (!res.body || req.method === 'HEAD' || nullBodyStatus(res.status)) {
        void res.body?.cancel().catch(() => {})
        finish()
        return { ok: true, response: new Response(null, init) }
      }
      if (bufferable(res)) {
        // Small body of declared length: read whole (nginx's proxy buffering), so Bun writes it from
        // memory on its native path; a JS stream around every body costs Bun ~4× in throughput.
        // Nothing has reached the client while it is read, so a failure gets a clean 502/504. The
        // idle timeout bounds the whole read (at most 64 KiB).
        const idle = setTimeout(() => abort(new TimeoutAbort('idle-timeout')), req.timeouts.idle)
        let whole: Uint8Array<ArrayBuffer>
        try {
          whole = await res.bytes()
        } catch (err) {
          return fail(classify(ac.signal.aborted ? ac.signal.reason : err))
        } finally {
          clearTimeout(idle)
        }
        bytes = whole.byteLength
        finish()
        return { ok: true, response: markBuffered(new Response(whole, init)) }
      }
      const relayed = relayBody(res.body, req.timeouts.idle, {
        abort,
        classify: (err) => classify(ac.signal.aborted ? ac.signal.reason : err),
        finish,
        cancelled: () => void (clientGone = true),
        sent: (n) => void (bytes += n),
      })
      return { ok: true, response: new Response(relayed, init) }
    },

    upgrade: upgradeToUpstream,

    // Bun's fetch pools connections per process, not per upstream: nothing to close here.
    release(): void {},
  }
}
