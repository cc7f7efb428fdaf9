/**
 * Prometheus metrics, counted from the gateway's event stream: requests by route, pool, upstream,
 * method and status class; latency histograms (whole request, and upstream time to first byte);
 * retries and their reasons; errors; auth and rate-limit rejections; gRPC calls by status; upstream availability,
 * health verdicts, ejections and in-flight requests; open client connections and requests the
 * listener refused before routing (read from the gateway's view at scrape); discovery snapshots applied and rejected per
 * source; pools that scale: wakes and their duration, scale actions, state and replicas, requests
 * that waited for a wake or were refused (scale-metrics.ts); release weights, canary steps, window
 * figures and decisions per pool; the process and runtime (CPU, memory, descriptors, heap,
 * event-loop lag, GC) and build info (process-metrics.ts). No raw path is ever a label, and each
 * metric holds at most `maxSeries` label sets.
 *
 * Hand-written rather than prom-client: it is Web-standard TypeScript (prom-client pulls in
 * Node's `util`, `cluster` and `http`), and it measured cheaper per request (see README, Metrics).
 * Served at `/metrics` by `admin()`; `render()` gives the text for any other listener.
 *
 * @example
 * const m = metrics()
 * export default defineConfig({ observe: [m, admin({ metrics: m })], ... })
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { GatewayView, ObserverPlugin } from '../../core/types.ts'
import { ProcessMetrics } from './process-metrics.ts'
import { RequestMetrics } from './request-metrics.ts'
import { ScaleMetrics } from './scale-metrics.ts'
import { StateMetrics } from './state-metrics.ts'
import { ReleaseMetrics } from './release-metrics.ts'

const optionsSchema = z.strictObject({
  /** Histogram bucket bounds in seconds. Default 5ms … 30s (12 buckets). */
  buckets: z
    .array(z.number().positive())
    .min(1)
    .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]!), { error: 'expected bucket bounds in increasing order' })
    .default([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  /** Label sets per metric at most; more are counted under "_overflow". Default 10000. */
  maxSeries: z.number().int().min(10).max(1_000_000).default(10_000),
})

export type MetricsOptions = z.input<typeof optionsSchema>

/** The metrics observer: list it in `observe` (or pass it to `admin()`, which starts it). */
export interface Metrics extends ObserverPlugin {
  /** Every metric in the Prometheus text format. */
  render(): string
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export function metrics(options: MetricsOptions = {}): Metrics {
  return definePlugin('observer', 'metrics', optionsSchema, options, (o) => {
    const requests = new RequestMetrics(o.buckets, o.maxSeries)
    const state = new StateMetrics(o.maxSeries)
    const scale = new ScaleMetrics(o.maxSeries)
    const releases = new ReleaseMetrics(o.maxSeries)
    let view: GatewayView | undefined
    let proc: ProcessMetrics | undefined
    return {
      start({ gateway, signal, io }) {
        if (view) return // listed in `observe` and also passed to admin(): count once
        view = gateway
        proc = new ProcessMetrics(io.processStats)
        const off = [
          gateway.events.on('request', (r) => {
            requests.record(r)
            scale.request(r)
          }),
          gateway.events.on('pool', (e) => {
            state.pool(e)
            if (e.change === 'removed') requests.forget(e.pool, e.upstream)
          }),
          gateway.events.on('health', (e) => state.health(e)),
          gateway.events.on('discovery', (e) => state.discovery(e)),
          gateway.events.on('scale', (e) => scale.scale(e)),
          gateway.events.on('release', (e) => releases.decision(e)),
        ]
        signal.addEventListener('abort', () => off.forEach((f) => f()))
      },
      render: () => {
        const listeners = view?.listeners?.()
        if (listeners) requests.listenerRefusals(listeners.refused)
        return requests.render() + (view ? state.render(view) + scale.render(view) + releases.render(view) : '') + (proc?.render() ?? '')
      },
    }
  })
}

export default metrics
