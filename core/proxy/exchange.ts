/**
 * One request's life from the runtime adapter to its answer, in one object (Caddy's
 * reverseproxy: ServeHTTP → proxyLoopIteration → finalizeResponse): what observers learn of it
 * (its record), its tries on upstreams (attempt.ts; proxy.ts picks them), the hooks that edit the
 * response head before the client gets it (Envoy's encoder filters: a route's header rules, the
 * headers middleware set), and its end, reported exactly once.
 *
 * It ends one of three ways:
 * - `respond()`: answered without an upstream (refused, no route, 413, a middleware's answer);
 * - `answered()`: an upstream's answer passed through; it ends when that try's transport reports
 *   the last byte sent, or the connection cut (whichever of the two comes second);
 * - `failed()`: no upstream could answer (502/503/504), or the client caused the failure (400/499).
 *
 * Load accounting and outlier observation are per try (attempt.ts); the `request` event is this
 * object's. Records are made only when someone listens.
 */
import type { RequestRecord } from '../gateway/events.ts'
import type { Pool } from '../pools/pool.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { ContentEncoding, TransportRequest, UpstreamFailure } from '../runtime/types.ts'
import { Attempt, type AttemptOwner } from './attempt.ts'
import { isClientFault } from './failure.ts'
import type { RequestTrace } from '../plugin/tracer.ts'
import { setHeader } from './set-header.ts'
import { grpcStatusFor, isGrpc } from './grpc.ts'

/** Edits a response head in place before it goes to the client. */
export type HeadHook = (status: number, headers: string[]) => void

export class Exchange implements AttemptOwner {
  /** Filled in as the exchange goes; undefined when nobody observes requests. */
  readonly record: RequestRecord | undefined
  /** Upstreams tried so far, in order (a retry never goes to one of these). */
  readonly tried: UpstreamRuntime[] = []
  /** A response head has gone through the hooks: headers middleware set are in it. */
  headSent = false
  private hooks: HeadHook[] | undefined
  private encoder: ((status: number, headers: string[]) => ContentEncoding | undefined) | undefined
  /** The Content-Encoding the response body got (compress), once its head went out. */
  encoding: ContentEncoding | undefined
  /** The proxy took over: its outcome ends the exchange, not the handler's answer. */
  private forwarded = false
  private answer: Attempt | undefined
  private ended = false
  /** Run at the end: the first in a field of its own (every request has one, the in-flight count), more in a list. */
  private endHook: (() => void) | undefined
  private endHooks: (() => void)[] | undefined
  /** A gRPC call (its content type, read once): its tries carry its deadline, the gateway's own answers become gRPC statuses. */
  readonly grpc: boolean

  constructor(
    readonly request: TransportRequest,
    private readonly report?: (record: RequestRecord) => void,
    /** Its trace, when a tracer traces it (core/plugin/tracer.ts); then a record is kept too. */
    readonly trace?: RequestTrace,
  ) {
    const inbound = request.inbound
    this.grpc = isGrpc(inbound.header('content-type'))
    this.record = report && {
      time: Date.now(), method: inbound.method, host: inbound.header('host') ?? '', path: inbound.target,
      status: 0, durationMs: 0, tries: 0, retryReasons: [], clientIp: inbound.remoteAddress,
    }
  }

  /** What routing learned: the normalized path, the route and its pool, the client's address. */
  routed(path: string, route: string, pool: string, clientIp: string): void {
    const rec = this.record
    if (!rec) return
    rec.path = path
    rec.route = route
    rec.pool = pool
    rec.clientIp = clientIp
  }

  /** Runs before the response head reaches the client, in the order added. */
  onResponseHead(hook: HeadHook): void {
    ;(this.hooks ??= []).push(hook)
  }

  /** A body of undeclared length may carry at most `maxBytes` (TransportRequest.limitBody). */
  limitBody(maxBytes: number): Promise<Response> | undefined {
    return this.request.limitBody(maxBytes)
  }

  /** The proxy takes over; `consumer` is who middleware said the client is. */
  forwarding(consumer: string | undefined): void {
    this.forwarded = true
    if (this.record) this.record.consumer = consumer
  }

  /** Starts a try on `up` (counted as in flight on it until the transport reports its end). */
  attempt(up: UpstreamRuntime, pool: Pool, path: string, headers: string[], retryOn: ReadonlySet<number> | undefined, deadline?: number): Attempt {
    this.tried.push(up)
    if (this.record) {
      this.record.upstream = up.url.origin
      this.record.tries = this.tried.length
    }
    // The upstream's traceparent names this try's span; untraced, the client's passes through.
    const span = this.trace?.attempt(up, this.tried.length, this.record?.retryReasons.at(-1))
    if (span) setHeader(headers, 'traceparent', span.traceparent)
    return new Attempt(this, up, pool, path, headers, retryOn, span, deadline)
  }

  /** The failure as the core holds it: whatever the transport saw (a refused body too), a client that left is the client's doing. */
  blame(f: UpstreamFailure): UpstreamFailure {
    return f.kind === 'client-closed' || !this.request.inbound.clientGone() ? f : { kind: 'client-closed', message: `the client left (${f.message})` }
  }

  /** Asks `encoder` for the body's Content-Encoding once the head is known (compress; it edits the head too). */
  encodeWith(encoder: (status: number, headers: string[]) => ContentEncoding | undefined): void {
    this.encoder = encoder
  }

  /** From a try (attempt.ts): a head is about to go to the client. Returns the encoding the body gets, if any. */
  responseHead(attempt: Attempt, status: number, headers: string[]): ContentEncoding | undefined {
    if (this.record) this.record.upstreamMs = Date.now() - attempt.sentAt
    if (this.hooks) for (const hook of this.hooks) hook(status, headers)
    this.headSent = true
    this.encoding = this.encoder?.(status, headers)
    return this.encoding
  }

  /** From a try (attempt.ts): its transport reported its end. The answering try's end ends the exchange. */
  attemptEnded(attempt: Attempt): void {
    if (attempt === this.answer) this.finishAnswered(attempt)
  }

  /** A try failed before answering: noted as a retry reason (dropped again if it turns out to be the last). */
  tryFailed(failure: UpstreamFailure): UpstreamFailure {
    const blamed = this.blame(failure)
    if (!isClientFault(blamed)) this.record?.retryReasons.push(blamed.kind)
    return blamed
  }

  /** `attempt`'s upstream answered and its head is on the way to the client. */
  answered(attempt: Attempt, response: Response): Response {
    this.answer = attempt
    if (this.record) this.record.status = this.request.inbound.websocket ? 101 : response.status
    if (attempt.end) this.finishAnswered(attempt)
    return response
  }

  /** No upstream answered: `response` is the gateway's own (503, 502/504 after `failure`, 400, 499). */
  failed(response: Response, failure: UpstreamFailure | undefined): Response {
    const rec = this.record
    if (rec) {
      // The last failure is the error, not a retry reason; a client that left (499) or a request
      // that could not be sent (400) is no upstream error.
      if (failure && !isClientFault(failure)) rec.retryReasons.pop()
      rec.status = response.status
      // The client gets this as a gRPC status (handle-request.ts): the record must say so before it is reported.
      if (this.grpc) rec.grpcStatus = grpcStatusFor(response.status, response.headers.get('x-gatehouse-error'))
      rec.error = failure && !isClientFault(failure) ? failure.kind : undefined
    }
    this.finish()
    return response
  }

  /**
   * The handler's answer. Ends the exchange unless the proxy took over (then its outcome does;
   * the handler may still return another response, e.g. a 413 that won a race).
   */
  respond(status: number, consumer?: string): void {
    if (this.forwarded) return
    if (this.record) {
      this.record.status = status
      this.record.consumer = consumer
    }
    this.finish()
  }

  /** The handler threw (app.onError answers `status`): ends the exchange unless an upstream's answer is under way. */
  threw(status: number, consumer?: string): void {
    if (this.answer) return
    this.forwarded = false
    this.respond(status, consumer)
  }

  /** A gRPC call's status (the upstream's, or the gateway's own answer's). */
  grpcStatus(code: number): void {
    if (this.record) this.record.grpcStatus = code
  }

  /** It waited `ms` for its pool to wake (core/scale/): the access log's `wake`, and `Server-Timing: wake;dur=` to the client. */
  wokeAfter(ms: number): void {
    if (this.record) this.record.wakeMs = ms
    this.onResponseHead((_status, headers) => void headers.push('server-timing', `wake;dur=${ms}`))
  }

  /** Runs once when the exchange ends, however it ends (a woken request's place in the wake's burst). */
  onEnd(hook: () => void): void {
    if (this.ended) return hook()
    if (!this.endHook) this.endHook = hook
    else (this.endHooks ??= []).push(hook)
  }

  /** Its scaling pool refused it (core/scale/): metrics count refusals by this bounded reason, a 503 alone does not tell. */
  refusedFor(reason: NonNullable<RequestRecord['refused']>): void {
    if (this.record) this.record.refused = reason
  }

  /** True when a record is kept (someone observes requests). */
  get observed(): boolean {
    return this.record !== undefined
  }

  private finishAnswered(attempt: Attempt): void {
    const rec = this.record
    const end = attempt.end!
    if (rec) {
      rec.status = end.status ?? rec.status
      rec.bytes = end.bytes
      if (end.failure && !isClientFault(end.failure)) rec.error = end.failure.kind
    }
    this.finish()
  }

  private finish(): void {
    if (this.ended) return
    this.ended = true
    this.endHook?.()
    if (this.endHooks) for (const hook of this.endHooks) hook()
    const rec = this.record
    if (!rec) return
    rec.durationMs = Date.now() - rec.time
    this.report!(rec)
    this.trace?.end(rec)
  }
}
