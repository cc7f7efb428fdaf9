/**
 * What each request record adds to the metrics. Labels are bounded: route names (from the config
 * or discovery, never the raw path), pool, upstream origin, a method from a fixed list, the status
 * code (100–599, else "other") and its class, a gRPC call's status (0–16, else "other"). This runs on the request path, once per finished
 * request: a few Map lookups.
 */
import type { RequestRecord } from '../../core/gateway/events.ts'
import { CounterFamily, HistogramFamily } from './families.ts'

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'])
const CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx']
/** Answered by the gateway's own middleware (auth, rate limits) before any upstream was tried. */
const REJECTIONS = new Set([401, 403, 429])
/** Bytes: a small JSON answer, a page, an image, a download. */
const SIZE_BUCKETS = [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]
/** Label text of each real status code, made once. */
const CODES = Array.from({ length: 600 }, (_, i) => (i >= 100 ? String(i) : 'other'))

const code = (status: number) => CODES[status] ?? 'other'
/** gRPC's status codes are 0 (OK) … 16 (UNAUTHENTICATED); anything else an upstream sends is "other". */
const GRPC_CODES = Array.from({ length: 17 }, (_, i) => String(i))

export class RequestMetrics {
  readonly requests: CounterFamily
  readonly duration: HistogramFamily
  readonly firstByte: HistogramFamily
  readonly bytes: CounterFamily
  readonly retries: CounterFamily
  readonly errors: CounterFamily
  readonly rejections: CounterFamily
  readonly refusals: CounterFamily
  readonly requestSize: HistogramFamily
  readonly grpc: CounterFamily
  readonly responseSize: HistogramFamily

  constructor(buckets: readonly number[], maxSeries: number) {
    this.requests = new CounterFamily('gatehouse_requests_total', 'Requests answered, by route, pool, upstream that answered, method, status code and its class.', ['route', 'pool', 'upstream', 'method', 'code', 'status_class'], maxSeries)
    this.duration = new HistogramFamily('gatehouse_request_duration_seconds', 'Time from arrival to the last byte sent (or the failure), by route, pool, method and status code.', ['route', 'pool', 'method', 'code'], maxSeries, buckets)
    this.firstByte = new HistogramFamily('gatehouse_upstream_first_byte_seconds', 'Time from sending to the upstream to its response head.', ['pool', 'upstream'], maxSeries, buckets)
    this.bytes = new CounterFamily('gatehouse_response_bytes_total', 'Response body bytes sent to clients (proxied responses).', ['route', 'pool'], maxSeries)
    this.retries = new CounterFamily('gatehouse_retries_total', 'Tries that failed and were retried on another upstream, by reason.', ['route', 'pool', 'reason'], maxSeries)
    this.errors = new CounterFamily('gatehouse_request_errors_total', 'Requests no upstream answered, by the last reason (refused, timeouts, reset; no-upstream when none was available).', ['route', 'pool', 'reason'], maxSeries)
    this.refusals = new CounterFamily('gatehouse_request_refusals_total', 'Requests the gateway refused before any middleware or upstream, by reason: its own checks (bad-request, bad-target, method-not-allowed, expectation-failed, no-route, body-too-large, grpc-without-trailers), and the listener before the handler (header-too-large, too-many-headers; on Node also its parser: malformed, bad-framing, header-timeout).', ['reason'], maxSeries)
    this.requestSize = new HistogramFamily('gatehouse_request_size_bytes', 'Request body sizes as declared (Content-Length; 0 without a body) of routed requests.', ['route', 'pool'], maxSeries, SIZE_BUCKETS)
    this.responseSize = new HistogramFamily('gatehouse_response_size_bytes', 'Response body bytes sent to clients (proxied responses).', ['route', 'pool'], maxSeries, SIZE_BUCKETS)
    // A family of its own rather than a label on gatehouse_requests_total: HTTP traffic keeps its series, and a gRPC call is counted by its status (its HTTP status is almost always 200).
    this.grpc = new CounterFamily('gatehouse_grpc_responses_total', 'gRPC calls answered, by route, pool and gRPC status (0 OK … 16; the upstream\'s, or the gateway\'s own when no upstream answered).', ['route', 'pool', 'grpc_status'], maxSeries)
    this.rejections = new CounterFamily('gatehouse_rejections_total', 'Requests refused by the gateway itself (auth 401/403, rate limit 429) before reaching an upstream.', ['route', 'pool', 'status'], maxSeries)
  }

  record(r: RequestRecord): void {
    const route = r.route ?? ''
    const pool = r.pool ?? ''
    const upstream = r.upstream ?? ''
    const method = METHODS.has(r.method) ? r.method : 'OTHER'
    const status = code(r.status)
    this.requests.inc([route, pool, upstream, method, status, CLASSES[Math.floor(r.status / 100)] ?? 'other'])
    this.duration.observe([route, pool, method, status], r.durationMs / 1000)
    if (r.grpcStatus !== undefined) this.grpc.inc([route, pool, GRPC_CODES[r.grpcStatus] ?? 'other'])
    if (r.rejected) this.refusals.inc([r.rejected])
    if (r.requestBytes !== undefined) this.requestSize.observe([route, pool], r.requestBytes)
    if (r.bytes !== undefined) this.responseSize.observe([route, pool], r.bytes)
    if (r.upstreamMs !== undefined) this.firstByte.observe([pool, upstream], r.upstreamMs / 1000)
    if (r.bytes) this.bytes.inc([route, pool], r.bytes)
    for (const reason of r.retryReasons) this.retries.inc([route, pool, reason])
    if (r.error) this.errors.inc([route, pool, r.error])
    else if (r.tries === 0 && r.pool !== undefined) {
      if (REJECTIONS.has(r.status)) this.rejections.inc([route, pool, String(r.status)])
      else if (r.status === 503) this.errors.inc([route, pool, 'no-upstream'])
    }
  }

  /** What the listeners refused (core/gateway/listener-refusals.ts), read at scrape: they join the same family, by their own reasons. */
  listenerRefusals(counts: ReadonlyMap<string, number>): void {
    for (const [reason, n] of counts) this.refusals.setTotal([reason], n)
  }

  /** An upstream left its pool: its series go too, so churn (containers) does not grow them forever. */
  forget(pool: string, upstream: string): void {
    for (const f of [this.requests, this.firstByte]) f.drop({ pool, upstream })
  }

  render(): string {
    return [this.requests, this.duration, this.firstByte, this.bytes, this.requestSize, this.responseSize, this.retries, this.errors, this.rejections, this.refusals, this.grpc].map((f) => f.render()).join('')
  }
}
