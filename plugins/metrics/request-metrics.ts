/**
 * What each request record adds to the metrics. Labels are bounded: route names (from the config
 * or discovery, never the raw path), pool, upstream origin, a method from a fixed list and the
 * status class. This runs on the request path, once per finished request: a few Map lookups.
 */
import type { RequestRecord } from '../../core/gateway/events.ts'
import { CounterFamily, HistogramFamily } from './families.ts'

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'])
const CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx']
/** Answered by the gateway's own middleware (auth, rate limits) before any upstream was tried. */
const REJECTIONS = new Set([401, 403, 429])

export class RequestMetrics {
  readonly requests: CounterFamily
  readonly duration: HistogramFamily
  readonly firstByte: HistogramFamily
  readonly bytes: CounterFamily
  readonly retries: CounterFamily
  readonly errors: CounterFamily
  readonly rejections: CounterFamily

  constructor(buckets: readonly number[], maxSeries: number) {
    this.requests = new CounterFamily('gatehouse_requests_total', 'Requests answered, by route, pool, upstream that answered, method and status class.', ['route', 'pool', 'upstream', 'method', 'status_class'], maxSeries)
    this.duration = new HistogramFamily('gatehouse_request_duration_seconds', 'Time from arrival to the last byte sent (or the failure).', ['route', 'pool'], maxSeries, buckets)
    this.firstByte = new HistogramFamily('gatehouse_upstream_first_byte_seconds', 'Time from sending to the upstream to its response head.', ['pool', 'upstream'], maxSeries, buckets)
    this.bytes = new CounterFamily('gatehouse_response_bytes_total', 'Response body bytes sent to clients (proxied responses).', ['route', 'pool'], maxSeries)
    this.retries = new CounterFamily('gatehouse_retries_total', 'Tries that failed and were retried on another upstream, by reason.', ['route', 'pool', 'reason'], maxSeries)
    this.errors = new CounterFamily('gatehouse_request_errors_total', 'Requests no upstream answered, by the last reason (refused, timeouts, reset; no-upstream when none was available).', ['route', 'pool', 'reason'], maxSeries)
    this.rejections = new CounterFamily('gatehouse_rejections_total', 'Requests refused by the gateway itself (auth 401/403, rate limit 429) before reaching an upstream.', ['route', 'pool', 'status'], maxSeries)
  }

  record(r: RequestRecord): void {
    const route = r.route ?? ''
    const pool = r.pool ?? ''
    const upstream = r.upstream ?? ''
    this.requests.inc([route, pool, upstream, METHODS.has(r.method) ? r.method : 'OTHER', CLASSES[Math.floor(r.status / 100)] ?? 'other'])
    this.duration.observe([route, pool], r.durationMs / 1000)
    if (r.upstreamMs !== undefined) this.firstByte.observe([pool, upstream], r.upstreamMs / 1000)
    if (r.bytes) this.bytes.inc([route, pool], r.bytes)
    for (const reason of r.retryReasons) this.retries.inc([route, pool, reason])
    if (r.error) this.errors.inc([route, pool, r.error])
    else if (r.tries === 0 && r.pool !== undefined) {
      if (REJECTIONS.has(r.status)) this.rejections.inc([route, pool, String(r.status)])
      else if (r.status === 503) this.errors.inc([route, pool, 'no-upstream'])
    }
  }

  /** An upstream left its pool: its series go too, so churn (containers) does not grow them forever. */
  forget(pool: string, upstream: string): void {
    for (const f of [this.requests, this.firstByte]) f.drop({ pool, upstream })
  }

  render(): string {
    return [this.requests, this.duration, this.firstByte, this.bytes, this.retries, this.errors, this.rejections].map((f) => f.render()).join('')
  }
}
