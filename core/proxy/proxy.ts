/**
 * Forwards one exchange to its pool: pick an upstream, send, and on a failure that is safe to
 * retry, try a *different* upstream (HAProxy's `option redispatch`), up to the pool's retries.
 * No available upstream → 503; all tries failed → 502 (refused/reset) or 504 (timeout).
 * The loop talks only to the exchange (exchange.ts), which keeps the record and reports the end.
 */
import type { BalanceContext } from '../types.ts'
import type { Pool } from '../pools/pool.ts'
import type { Transport, UpstreamFailure } from '../runtime/types.ts'
import type { Exchange } from './exchange.ts'
import { awakeAnswer, WAKE_HEADER } from '../scale/waiting-page.ts'
import { assignVersion } from '../release/assign.ts'
import { canReplay, failureResponse, isClientFault, isRetryable, refusedResponse, unavailableResponse } from './failure.ts'

export interface ProxyCall {
  pool: Pool
  /** Path and query to send. */
  path: string
  /** The client's normalized path (a sleeping pool's wake.ignore). */
  clientPath: string
  /** Request headers to send; index 1 holds the Host value. */
  headers: string[]
  /** 'upstream': Host becomes each tried upstream's host:port. */
  upstreamHost: boolean
  balance: BalanceContext
  /** Who middleware said the client is (for the record, and a release's `sticky: { hash: 'consumer' }`). */
  consumer?: string
  /** The version a tag host named (core/release/tag-host.ts): honoured only while it is published. */
  version?: string
  /** A gRPC call's deadline (ms since epoch, from `grpc-timeout`): no try starts after it, each ends by it. */
  deadline?: number
}

export async function proxy(ex: Exchange, call: ProxyCall, transport: Transport): Promise<Response> {
  const { pool } = call
  const { inbound } = ex.request
  ex.forwarding(call.consumer)
  const tried = ex.tried
  const maxTries = 1 + pool.settings.retries
  const retryOn = canReplay(inbound.method, inbound.hasBody) && pool.retryOn.size ? pool.retryOn : undefined
  let failure: UpstreamFailure | undefined
  // The waiting page asks whether its pool is awake (core/scale/waiting-page.ts): answered here, never by the app.
  if (pool.scales && inbound.header(WAKE_HEADER) === 'status' && pool.available().length) return ex.failed(awakeAnswer(), undefined)
  const version = releaseVersion(ex, call)
  while (tried.length < maxTries) {
    let up = pool.pick(call.balance, tried, version)
    if (!up && tried.length === 0) {
      // Nothing available at all: wake a sleeping pool, or wait briefly (pool `queue`).
      const waited = ex.trace?.wait(pool.name, pool.scales ? 'wake' : 'queue')
      const admission = await pool.waitForAvailable({ path: call.clientPath, method: inbound.method, header: inbound.header })
      waited?.(admission.ok ? 'ok' : (admission.refusal?.reason ?? 'unavailable'))
      if (!admission.ok) {
        if (admission.refusal) ex.refusedFor(admission.refusal.reason)
        return ex.failed(admission.answer ?? (admission.refusal ? refusedResponse(pool.name, admission.refusal) : unavailableResponse(pool.name)), undefined)
      }
      if (admission.wakeMs !== undefined) ex.wokeAfter(admission.wakeMs)
      if (admission.done) ex.onEnd(admission.done)
      up = pool.pick(call.balance, tried, version)
    }
    if (!up) break
    if (call.deadline !== undefined && call.deadline <= Date.now()) {
      failure = { kind: 'total-timeout', message: 'the gRPC deadline (grpc-timeout) passed' }
      break
    }
    if (call.upstreamHost) call.headers[1] = up.url.host
    // A status in retryOn is retried only when another upstream could still answer: the last one's passes through as is.
    const another = retryOn && tried.length + 1 < maxTries && pool.available().length > tried.length + 1
    const attempt = ex.attempt(up, pool, call.path, call.headers, another ? retryOn : undefined, call.deadline)
    const result = await (inbound.websocket ? transport.upgrade(ex.request, up, attempt) : transport.send(ex.request, up, attempt))
    if (result.ok) return ex.answered(attempt, result.response)
    failure = ex.tryFailed(result.failure)
    if (isClientFault(failure)) break
    // An answer that could not be passed through (a refused WebSocket handshake) is retried only when retryOn lists it.
    if (failure.status !== undefined && !retryOn?.has(failure.status)) break
    if (!isRetryable(failure, inbound.method, inbound.hasBody)) break
  }
  return ex.failed(failure ? failureResponse(pool.name, failure, tried.length) : unavailableResponse(pool.name), failure)
}

/** A pool with a release: the version this exchange goes to (core/release/assign.ts), its sticky cookie set on the answer. */
function releaseVersion(ex: Exchange, call: ProxyCall): string | undefined {
  const { pool, balance, version: pinned, consumer } = call
  const table = pool.versionTable()
  if (!table) return undefined
  const release = pool.release!
  const { version, setCookie } = assignVersion(table, release.currentSettings, balance, { pinned, consumer })
  if (setCookie) ex.onResponseHead((_status, headers) => void headers.push('set-cookie', setCookie))
  // A shadow copy to the new version, sent once this exchange ended: it never delays the original.
  const { inbound } = ex.request
  if (table.mirror.length && !inbound.hasBody && !inbound.websocket && release.sampleMirror(version, inbound.method)) {
    const target = table.mirror[Math.floor(Math.random() * table.mirror.length)]!
    const headers = [...call.headers]
    ex.onEnd(() => release.sendMirror(target, inbound.method, call.path, headers))
  }
  return version
}
