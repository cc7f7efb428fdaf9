/**
 * Request tracing as the core drives it. A tracing observer (plugins/tracing: OpenTelemetry)
 * implements `RequestTracer` and hands it to `gateway.traceRequests()`; the core then opens a
 * trace when a request arrives and tells it about each try, each wait for a pool to wake and each
 * access guard (auth) it runs. The core knows no tracing library: these calls are all it makes,
 * and with no tracer, or a request the tracer leaves out (sampled out), it makes none of them.
 */
import type { RequestRecord } from '../gateway/events.ts'
import type { Inbound, UpstreamFailure, UpstreamTarget } from '../runtime/types.ts'
import type { FailureKind } from '../runtime/failure-kind.ts'

export interface RequestTracer {
  /**
   * A request arrived (its `traceparent` may name a parent): its trace, or undefined to leave it
   * untraced. An untraced request's own `traceparent` and `tracestate` reach the upstream as sent.
   */
  begin(inbound: Inbound): RequestTrace | undefined
  /**
   * Trace no new request; resolve once the traces begun have ended and everything is exported
   * (the gateway awaits it after draining, before the process exits).
   */
  close(): Promise<void>
}

/** One request's trace: created by `begin`, ended exactly once by the gateway. */
export interface RequestTrace {
  /** A try on `upstream` begins (after `retryReason` made the previous one fail): its span. */
  attempt(upstream: UpstreamTarget, tryNumber: number, retryReason: FailureKind | undefined): TryTrace
  /** The request waits for `pool` to have an upstream (`wake`: a sleeping pool; `queue`: none available): returns the wait's end, with how it ended ('ok', or the refusal's reason). */
  wait(pool: string, kind: 'wake' | 'queue'): (outcome: string) => void
  /** A route's access guard (auth) runs: returns its end, with 'passed' or the status it answered. */
  guard(name: string): (outcome: string) => void
  /** The request ended: everything observers learn of it. */
  end(record: RequestRecord): void
}

/** One try's span. */
export interface TryTrace {
  /** The W3C `traceparent` the upstream gets: this try's span as its parent. */
  readonly traceparent: string
  /** The try ended: the upstream's status when it answered, else why it failed. */
  end(status: number | undefined, failure: UpstreamFailure | undefined): void
}
