/**
 * Node's fast path (DESIGN.md §5): undici `Pool.dispatch()` per upstream, response head and
 * body written straight into the raw ServerResponse with write() back-pressure, and
 * RESPONSE_ALREADY_SENT returned to Hono. No Web Response around the upstream body (that halves
 * throughput), no fetch (that divides it by five). Bodies stream both ways; nothing is buffered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Pool, type Dispatcher } from 'undici'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context } from 'hono'
import type { UpstreamRuntime } from '../../pools/upstream-state.ts'
import { filterResponseHeaders } from '../../proxy/hop-by-hop.ts'
import { upgradeToUpstream } from './websocket.ts'
import type { FailureKind, OutboundRequest, SendResult, Transport, UpstreamFailure } from '../types.ts'

const KIND_BY_CODE: Record<string, FailureKind> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EAI_AGAIN: 'refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  UND_ERR_HEADERS_TIMEOUT: 'first-byte-timeout',
  UND_ERR_BODY_TIMEOUT: 'idle-timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
}

export function classify(err: unknown): UpstreamFailure {
  const e = err as { code?: string; message?: string; cause?: { code?: string } }
  const kind = KIND_BY_CODE[e.code ?? ''] ?? KIND_BY_CODE[e.cause?.code ?? ''] ?? 'error'
  return { kind, message: e.message ?? String(err) }
}

function poolFor(up: UpstreamRuntime, req: OutboundRequest): Pool {
  return (up.client ??= new Pool(up.url.origin, {
    connectTimeout: req.timeouts.connect,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  })) as Pool
}

export const nodeTransport: Transport = {
  send(c: Context, up: UpstreamRuntime, req: OutboundRequest): Promise<SendResult> {
    const { incoming, outgoing } = c.env as { incoming: IncomingMessage; outgoing: ServerResponse }
    return new Promise<SendResult>((resolve) => {
      let status: number | undefined
      let bytes = 0
      let responded = false // the head went to the client: from here failures cut the client
      let settled = false // send() resolved, or a retryable status was turned into a failure
      let clientGone = false
      let finished = false
      let abort: ((err?: Error) => void) | undefined
      let timedOut = false
      const totalTimer = req.timeouts.total
        ? setTimeout(() => ((timedOut = true), abort?.(new Error('total timeout'))), req.timeouts.total)
        : undefined
      const finish = (failure?: UpstreamFailure) => {
        if (finished) return
        finished = true
        clearTimeout(totalTimer)
        outgoing.off('close', onClientClose)
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
          const headers = filterResponseHeaders(toStrings(rawHeaders))
          req.onResponseHead?.(code, headers)
          responded = true
          if (req.method === 'HEAD') {
            // Hono answers HEAD by wrapping the GET result in a new Response, which would turn
            // RESPONSE_ALREADY_SENT into a second head; a HEAD response has no body to stream anyway.
            settle({ ok: true, response: new Response(null, { status: code, headers: pairs(headers) }) })
            return true
          }
          outgoing.writeHead(code, headers)
          outgoing.on('drain', () => resume())
          settle({ ok: true, response: RESPONSE_ALREADY_SENT })
          return true
        },
        onData(chunk) {
          bytes += chunk.length
          return outgoing.write(chunk)
        },
        onComplete() {
          if (req.method !== 'HEAD') outgoing.end()
          finish()
        },
        onError(err) {
          if (settled && !responded) return // the abort that follows a retryable status
          const failure: UpstreamFailure = timedOut ? { kind: 'total-timeout', message: 'total timeout' } : classify(err)
          if (responded) {
            outgoing.destroy(err) // mid-body failure: the client must see a broken response, not a short one
            finish(failure)
          } else {
            finish(failure)
            settle({ ok: false, failure })
          }
        },
      }

      try {
        poolFor(up, req).dispatch(
          {
            origin: up.url.origin,
            path: req.path,
            method: req.method as Dispatcher.HttpMethod,
            headers: req.headers,
            // undici leaves the client's stream untouched when the connection fails, so a refused
            // connection can be retried on another upstream with the same, still unread, body.
            body: req.hasBody ? incoming : null,
            headersTimeout: req.timeouts.firstByte,
            bodyTimeout: req.timeouts.idle,
          },
          handler,
        )
      } catch (err) {
        handler.onError!(err as Error)
      }
    })
  },

  upgrade: upgradeToUpstream,

  release(up: UpstreamRuntime): void {
    const pool = up.client as Pool | undefined
    up.client = undefined
    pool?.close().catch(() => pool.destroy())
  },
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}

function toStrings(raw: Buffer[]): string[] {
  const out = new Array<string>(raw.length)
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]!.toString('latin1')
  return out
}
