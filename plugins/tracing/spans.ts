/**
 * The gateway's request path as OpenTelemetry spans (core/plugin/tracer.ts says when each call
 * comes): a server span per request (`GET web-route`: method, route, pool, status, request ID),
 * a client span per try on an upstream (its id and address, the try's number, why the previous
 * try failed, the status or the failure), and internal spans for a wait for a pool to wake and
 * for each access guard (auth). Attribute names follow the OpenTelemetry HTTP conventions where
 * one exists, `gatehouse.*` otherwise.
 *
 * The parent comes from the request's `traceparent` (W3C, through the SDK's propagator); the
 * sampler (parent-based, a ratio for new traces) decides before any other work: a request sampled
 * out gets no trace at all, so its own `traceparent` passes through unchanged.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import type { RequestRecord } from '../../core/gateway/events.ts'
import type { RequestTrace, RequestTracer, TryTrace } from '../../core/plugin/tracer.ts'
import type { FailureKind, Inbound, UpstreamFailure, UpstreamTarget } from '../../core/runtime/types.ts'

const propagator = new W3CTraceContextPropagator()
const fromInbound: TextMapGetter<Inbound> = { get: (inbound, key) => inbound.header(key), keys: () => [] }

/** A `RequestTracer` on an SDK tracer; `close` runs once the traces begun have ended. */
export class OtelRequestTracer implements RequestTracer {
  private open = 0
  private closing: (() => void) | undefined
  private closed: Promise<void> | undefined

  constructor(
    private readonly tracer: Tracer,
    /** Exports what is left and stops the SDK. */
    private readonly shutdown: () => Promise<void>,
    /** False with `sampleRatio: 0`: a request without a parent is left out before the SDK is asked. */
    private readonly newTraces = true,
  ) {}

  begin(inbound: Inbound): RequestTrace | undefined {
    if (this.closed) return undefined
    const traceparent = inbound.header('traceparent')
    if (traceparent === undefined && !this.newTraces) return undefined
    const parent = traceparent === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, inbound, fromInbound)
    const span = this.tracer.startSpan(inbound.method, { kind: SpanKind.SERVER }, parent)
    if (!span.isRecording()) return undefined // sampled out: nothing more is spent on it
    span.setAttributes({ 'http.request.method': inbound.method, 'network.peer.address': inbound.remoteAddress })
    this.open++
    return new OtelRequestTrace(this.tracer, span, inbound.method, this.ended)
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.closing = resolve
      if (this.open === 0) resolve()
    }).then(this.shutdown)
    return this.closed
  }

  private readonly ended = (): void => {
    if (--this.open === 0) this.closing?.()
  }
}

class OtelRequestTrace implements RequestTrace {
  private readonly context: Context

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly method: string,
    private readonly ended: () => void,
  ) {
    this.context = trace.setSpan(ROOT_CONTEXT, span)
  }

  attempt(upstream: UpstreamTarget, tryNumber: number, retryReason: FailureKind | undefined): TryTrace {
    const { url } = upstream
    const span = this.tracer.startSpan(this.method, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': this.method,
        'server.address': url.hostname,
        'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        'gatehouse.upstream': url.origin,
        'gatehouse.upstream.id': upstream.id,
        'gatehouse.try': tryNumber,
        ...(retryReason && { 'gatehouse.retry_reason': retryReason }),
      },
    }, this.context)
    const carrier: Record<string, string> = {}
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, { set: (c, k, v) => void (c[k] = v) })
    return {
      traceparent: carrier.traceparent!,
      end(status: number | undefined, failure: UpstreamFailure | undefined) {
        const answered = failure?.status ?? status
        if (answered !== undefined) span.setAttribute('http.response.status_code', answered)
        if (failure) {
          span.setAttribute('error.type', failure.kind)
          span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message })
        } else if (answered !== undefined && answered >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
        span.end()
      },
    }
  }

  wait(pool: string, kind: 'wake' | 'queue'): (outcome: string) => void {
    return this.internal(kind === 'wake' ? 'wake' : 'queue', { 'gatehouse.pool': pool })
  }

  guard(name: string): (outcome: string) => void {
    return this.internal(`guard ${name}`, { 'gatehouse.guard': name })
  }

  end(r: RequestRecord): void {
    const span = this.span
    span.updateName(r.route !== undefined ? `${r.method} ${r.route}` : r.method)
    span.setAttributes({
      'url.path': r.path,
      'client.address': r.clientIp,
      'http.response.status_code': r.status,
      'gatehouse.tries': r.tries,
      ...(r.route !== undefined && { 'http.route': r.route }),
      ...(r.pool !== undefined && { 'gatehouse.pool': r.pool }),
      ...(r.requestId !== undefined && { 'gatehouse.request_id': r.requestId }),
      ...(r.consumer !== undefined && { 'gatehouse.consumer': r.consumer }),
    })
    const error = r.error ?? r.rejected ?? r.refused
    if (error) span.setAttribute('error.type', error)
    if (r.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
    span.end()
    this.ended()
  }

  private internal(name: string, attributes: Record<string, string>): (outcome: string) => void {
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, this.context)
    return (outcome) => {
      span.setAttribute('gatehouse.outcome', outcome)
      span.end()
    }
  }
}
