/**
 * Forwards one request to its pool: pick an upstream, send, and on a failure that is safe to
 * retry, try a *different* upstream (HAProxy's `option redispatch`), up to the pool's retries.
 * No available upstream → 503; all tries failed → 502 (refused/reset) or 504 (timeout).
 */
import type { BalanceContext, ExchangeOutcome } from '../types.ts'
import type { Pool } from '../pools/pool.ts'
import type { PoolRegistry } from '../pools/registry.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { Context } from 'hono'
import type { ContentEncoding, Inbound, Transport, UpstreamFailure } from '../runtime/types.ts'
import { canReplay, failureResponse, isClientFault, isRetryable, unavailableResponse } from './failure.ts'
import type { RequestRecord } from '../gateway/events.ts'

export interface ProxyCall {
  inbound: Inbound
  pool: Pool
  /** Path and query to send. */
  path: string
  /** Request headers to send; index 1 holds the Host value. */
  headers: string[]
  /** 'upstream': Host becomes each tried upstream's host:port. */
  upstreamHost: boolean
  balance: BalanceContext
  onResponseHead?: (status: number, headers: string[]) => ContentEncoding | void
  /** When someone observes requests: filled in here and handed to `report` when the exchange ends. */
  record?: RequestRecord
  report?: (record: RequestRecord) => void
}

export async function proxy(c: Context, call: ProxyCall, transport: Transport, registry: PoolRegistry): Promise<Response> {
  const { inbound, pool } = call
  const tried: UpstreamRuntime[] = []
  let failure: UpstreamFailure | undefined
  const maxTries = 1 + pool.settings.retries
  const retryOn = canReplay(inbound.method, inbound.hasBody) ? pool.retryOn : undefined
  const rec = call.record
  /** The failure as the core holds it: whatever the transport saw, a client that left is the client's doing. */
  const blame = (f: UpstreamFailure): UpstreamFailure =>
    f.kind === 'client-closed' || !inbound.clientGone() ? f : { kind: 'client-closed', message: `the client left (${f.message})` }
  while (tried.length < maxTries) {
    let up = pool.pick(call.balance, tried)
    // Nothing available at all: optionally wait briefly for an upstream (pool `queue`).
    if (!up && tried.length === 0 && (await pool.waitForAvailable())) up = pool.pick(call.balance, tried)
    if (!up) break
    tried.push(up)
    if (call.upstreamHost) call.headers[1] = up.url.host
    const client = up.begin()
    const sentAt = rec ? Date.now() : 0
    // The record is finished by whichever comes second: this try turning out to be the one that
    // answered, or its exchange ending (a small response can end before the await below resumes).
    let answered = false
    let ended: { failure?: UpstreamFailure; status?: number; bytes?: number } | undefined
    const finalize = () => {
      if (!rec || !call.report || !ended) return
      rec.status = ended.status ?? rec.status
      rec.bytes = ended.bytes
      if (ended.failure && !isClientFault(ended.failure)) rec.error = ended.failure.kind
      finishRecord(rec, call.report)
    }
    const out = {
      method: inbound.method,
      path: call.path,
      headers: call.headers,
      hasBody: inbound.hasBody,
      timeouts: pool.settings.timeouts,
      onResponseHead:
        rec && call.report
          ? (status: number, headers: string[]) => ((rec.upstreamMs = Date.now() - sentAt), call.onResponseHead?.(status, headers))
          : call.onResponseHead,
      onDone: (seen?: UpstreamFailure, status?: number, bytes?: number) => {
        registry.done(up, client)
        const failure = seen && blame(seen)
        // Passive health hears only what the upstream did: never a client's refusal or departure.
        if (!failure || !isClientFault(failure)) pool.settings.outlier?.observe(up, outcome(failure, status), pool.healthView)
        if (rec && call.report) {
          ended = { failure, status, bytes }
          if (answered) finalize()
        }
      },
      // Only when another upstream could still answer: the last one's answer passes through as is.
      retryStatus: retryOn?.size && tried.length < maxTries && pool.available().length > tried.length ? (s: number) => retryOn.has(s) : undefined,
    }
    if (rec) {
      rec.upstream = up.url.origin
      rec.tries = tried.length
    }
    const result = await (inbound.websocket ? transport.upgrade(c, up, out) : transport.send(c, up, out))
    if (result.ok) {
      answered = true
      if (rec) rec.status = inbound.websocket ? 101 : result.response.status
      finalize()
      return result.response
    }
    failure = blame(result.failure)
    if (isClientFault(failure)) break
    rec?.retryReasons.push(failure.kind)
    // An answer that could not be passed through (a refused WebSocket handshake) is retried only when retryOn lists it.
    if (failure.status !== undefined && !retryOn?.has(failure.status)) break
    if (!isRetryable(failure, inbound.method, inbound.hasBody)) break
  }
  const response = failure ? failureResponse(pool.name, failure, tried.length) : unavailableResponse(pool.name)
  if (rec && call.report) {
    if (failure && !isClientFault(failure)) rec.retryReasons.pop() // the last failure is the error, not a retry reason
    rec.status = response.status
    // A client that left (499) or a request that could not be sent (400) is no upstream error.
    rec.error = failure && !isClientFault(failure) ? failure.kind : undefined
    finishRecord(rec, call.report)
  }
  return response
}

/** What passive health hears: an answered status (also one that could not be passed through), or the failure. */
function outcome(failure: UpstreamFailure | undefined, status: number | undefined): ExchangeOutcome {
  if (failure?.status !== undefined) return { status: failure.status }
  return { status, failure: failure?.kind === 'status' ? undefined : (failure?.kind as ExchangeOutcome['failure']) }
}

function finishRecord(rec: RequestRecord, report: (r: RequestRecord) => void): void {
  rec.durationMs = Date.now() - rec.time
  report(rec)
}
