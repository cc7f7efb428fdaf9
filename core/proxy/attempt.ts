/**
 * One try of an exchange on one upstream: the request the transport sends (an OutboundRequest),
 * and what happens when the transport reports its end. The upstream counts it as in flight from
 * here until then (least-conn and p2c read that); passive health hears how it went, unless the
 * client caused the failure.
 */
import type { ExchangeOutcome } from '../types.ts'
import type { Pool } from '../pools/pool.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { ContentEncoding, OutboundRequest, TransportRequest, UpstreamFailure } from '../runtime/types.ts'
import { isClientFault } from './failure.ts'
import type { TryTrace } from '../plugin/tracer.ts'

/** What a try needs of its exchange (exchange.ts). */
export interface AttemptOwner {
  readonly request: TransportRequest
  /** A gRPC call (exchange.ts reads its content type once). */
  readonly grpc: boolean
  /** Whether a record is kept (then times are measured). */
  readonly observed: boolean
  blame(failure: UpstreamFailure): UpstreamFailure
  responseHead(attempt: Attempt, status: number, headers: string[]): ContentEncoding | undefined
  attemptEnded(attempt: Attempt): void
  grpcStatus(code: number): void
}

export interface AttemptEnd {
  failure?: UpstreamFailure
  status?: number
  bytes?: number
}

export class Attempt implements OutboundRequest {
  readonly method: string
  readonly hasBody: boolean
  readonly timeouts: OutboundRequest['timeouts']
  readonly grpc: true | undefined
  readonly retryStatus: ((status: number) => boolean) | undefined
  /** When it was handed to the transport (only measured when the exchange is observed). */
  readonly sentAt: number
  /** Set once the transport reported the end. */
  end: AttemptEnd | undefined
  /** Time to the response head, measured for a pool with a release (its per-version p99). */
  private headMs: number | undefined

  constructor(
    private readonly exchange: AttemptOwner,
    readonly upstream: UpstreamRuntime,
    private readonly pool: Pool,
    readonly path: string,
    readonly headers: string[],
    /** Statuses that make another upstream worth a try (when one could still answer). */
    retryOn: ReadonlySet<number> | undefined,
    /** Its span, when the exchange is traced. */
    private readonly span?: TryTrace,
    /** A gRPC call's deadline (ms since epoch, from `grpc-timeout`): bounds this try's total time. */
    deadline?: number,
  ) {
    const inbound = exchange.request.inbound
    this.method = inbound.method
    this.hasBody = inbound.hasBody
    const t = pool.settings.timeouts
    this.timeouts = deadline === undefined ? t : { ...t, total: Math.max(1, Math.min(t.total ?? Infinity, deadline - Date.now())) }
    this.grpc = exchange.grpc || undefined
    this.retryStatus = retryOn && ((status) => retryOn.has(status))
    this.sentAt = exchange.observed || pool.release ? Date.now() : 0
    upstream.inflight++
  }

  grpcStatus(code: number): void {
    this.exchange.grpcStatus(code)
  }

  onResponseHead(status: number, headers: string[]): ContentEncoding | undefined {
    if (this.sentAt) this.headMs = Date.now() - this.sentAt
    return this.exchange.responseHead(this, status, headers)
  }

  onDone(seen?: UpstreamFailure, status?: number, bytes?: number): void {
    this.upstream.inflight--
    const failure = seen && this.exchange.blame(seen)
    // Passive health hears only what the upstream did: never a client's refusal or departure.
    if (!failure || !isClientFault(failure)) this.pool.settings.outlier?.observe(this.upstream, outcome(failure, status), this.pool.healthView)
    // A release weighs versions by what their upstreams did (5xx and transport failures), never by what clients did.
    const release = this.pool.release
    if (release && !(failure && isClientFault(failure))) {
      const error = failure ? (failure.status ?? 500) >= 500 : (status ?? 0) >= 500
      release.observe(this.upstream, error, this.headMs ?? Date.now() - this.sentAt)
    }
    this.end = { failure, status, bytes }
    this.span?.end(status, failure)
    this.exchange.attemptEnded(this)
  }
}

/** What passive health hears: an answered status (also one that could not be passed through), or the failure. */
function outcome(failure: UpstreamFailure | undefined, status: number | undefined): ExchangeOutcome {
  if (failure?.status !== undefined) return { status: failure.status }
  return { status, failure: failure?.kind === 'status' ? undefined : (failure?.kind as ExchangeOutcome['failure']) }
}
