/**
 * Forwards one request to its pool: pick an upstream, send, and on a failure that is safe to
 * retry, try a *different* upstream (HAProxy's `option redispatch`), up to the pool's retries.
 * No available upstream → 503; all tries failed → 502 (refused/reset) or 504 (timeout).
 */
import type { BalanceContext } from '../types.ts'
import type { Pool } from '../pools/pool.ts'
import type { PoolRegistry } from '../pools/registry.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { Context } from 'hono'
import type { Inbound, Transport, UpstreamFailure } from '../runtime/types.ts'
import { canReplay, failureResponse, isRetryable, unavailableResponse } from './failure.ts'

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
  onResponseHead?: (status: number, headers: string[]) => void
}

export async function proxy(c: Context, call: ProxyCall, transport: Transport, registry: PoolRegistry): Promise<Response> {
  const { inbound, pool } = call
  const tried: UpstreamRuntime[] = []
  let failure: UpstreamFailure | undefined
  const maxTries = 1 + pool.settings.retries
  const retryOn = canReplay(inbound.method, inbound.hasBody) ? pool.retryOn : undefined
  while (tried.length < maxTries) {
    let up = pool.pick(call.balance, tried)
    // Nothing available at all: optionally wait briefly for an upstream (pool `queue`).
    if (!up && tried.length === 0 && (await pool.waitForAvailable())) up = pool.pick(call.balance, tried)
    if (!up) break
    tried.push(up)
    if (call.upstreamHost) call.headers[1] = up.url.host
    up.inflight++
    const out = {
      method: inbound.method,
      path: call.path,
      headers: call.headers,
      hasBody: inbound.hasBody,
      timeouts: pool.settings.timeouts,
      onResponseHead: call.onResponseHead,
      onDone: (failure?: UpstreamFailure, status?: number) => {
        registry.done(up)
        pool.settings.outlier?.observe(up, { status, failure: failure?.kind === 'status' ? undefined : failure?.kind }, pool.healthView)
      },
      // Only when another upstream could still answer: the last one's answer passes through as is.
      retryStatus: retryOn?.size && tried.length < maxTries && pool.available().length > tried.length ? (s: number) => retryOn.has(s) : undefined,
    }
    const result = await (inbound.websocket ? transport.upgrade(c, up, out) : transport.send(c, up, out))
    if (result.ok) return result.response
    failure = result.failure
    if (!isRetryable(failure, inbound.method, inbound.hasBody)) break
  }
  return failure ? failureResponse(pool.name, failure, tried.length) : unavailableResponse(pool.name)
}
