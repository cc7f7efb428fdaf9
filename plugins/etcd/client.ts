/**
 * The one place that creates etcd clients (the `etcd3` package, gRPC), for the discovery plugin
 * and for `gatehouse register` / `registrator`. `etcd3` is imported lazily, so `gatehouse start`
 * without etcd never loads gRPC.
 *
 * Its own retry and circuit-breaker policies are switched off: callers run their own backoff
 * loop, and a breaker that stays open for 5 s after etcd restarts would delay recovery for
 * nothing. Every unary call gets a deadline (`timeout`), so nothing hangs on a dead etcd (the
 * package ignores its own `dialTimeout` option); streams are watched by gRPC keepalive pings.
 */
import type { Etcd3, IOptions } from 'etcd3'

export interface ClientOptions {
  endpoints: string[]
  /** Deadline of each unary call (read, put, lease grant/revoke), in ms. */
  timeout: number
  auth?: { username: string; password: string }
}

// A policy that just runs the call once (cockatiel's `noop`, without depending on cockatiel).
const once = {
  execute: <T>(fn: (ctx: { signal: AbortSignal }) => T | Promise<T>) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
}
// The watch manager's own reconnect delay. We do not use its reconnects: a session ends on the
// first disconnect, closes its client and re-reads with a new one after our own backoff.
const quickBackoff = { duration: 50, next: () => quickBackoff }

export async function createClient(opts: ClientOptions): Promise<Etcd3> {
  const { Etcd3 } = await import('etcd3')
  const options: IOptions = {
    hosts: opts.endpoints,
    auth: opts.auth,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + opts.timeout }),
    faultHandling: {
      host: () => once as never,
      global: once as never,
      watchBackoff: { next: () => quickBackoff } as never,
    },
    grpcOptions: {
      // Notice a dead peer on an otherwise quiet watch; etcd refuses pings more often than every 5 s.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      // Reconnect promptly after etcd comes back instead of gRPC's default backoff of up to 2 minutes.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
  }
  return new Etcd3(options)
}

/**
 * Closes a client for good, leaving no connection or timer behind. Two things `Etcd3#close()`
 * alone does not do: it keeps a channel that is still connecting open for another second (a
 * workaround for a grpc-js bug fixed long since), and its watch manager answers the stream error
 * that closing causes by scheduling a reconnect. Both are reached through the client's internals,
 * here only, and each step is skipped when the internals look different.
 */
export function closeClient(client: Etcd3): void {
  type Internals = {
    watchManager?: { handleError?: unknown }
    pool?: { hosts?: { cachedServices?: Record<string, { close(): void } | undefined> }[] }
  }
  const inner = client as unknown as Internals
  if (inner.watchManager && typeof inner.watchManager.handleError === 'function') inner.watchManager.handleError = () => {}
  for (const host of inner.pool?.hosts ?? []) {
    for (const service of Object.values(host.cachedServices ?? {})) service?.close()
  }
  client.close()
}

/** Exponential backoff with full jitter: attempt 0 → up to `min`, doubling to `max`. */
export function backoffDelay(attempt: number, min: number, max: number, random: () => number = Math.random): number {
  const cap = Math.min(max, min * 2 ** Math.min(attempt, 30))
  return Math.max(min / 2, Math.round(cap * random()))
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** A short message for logs: gRPC errors carry long multi-line details. */
export function errorText(err: unknown): string {
  const msg = String((err as Error)?.message ?? err)
  return msg.split('\n')[0]!.slice(0, 200)
}
