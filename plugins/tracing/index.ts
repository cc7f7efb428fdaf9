/**
 * Traces with OpenTelemetry: a span for each request, each try on an upstream (retries and their
 * reason), each wait for a sleeping pool to wake and each access guard (auth), exported over
 * OTLP/HTTP (JSON) to a collector (Jaeger, Tempo, the OpenTelemetry Collector: port 4318).
 * Sampling is parent-based: a request whose `traceparent` says sampled (or not) is traced (or
 * not) accordingly; a new trace is sampled with `sampleRatio`. A traced request's upstream gets a
 * `traceparent` naming its try's span; an untraced one's is passed through as the client sent it.
 *
 * Spans are batched and sent in the background (every 5 s, or 512 at a time); on shutdown the
 * gateway drains, then exports what is left before it exits. Without this observer the request
 * path makes no tracing call at all.
 *
 * @example
 * observe: [tracing({ endpoint: 'http://127.0.0.1:4318/v1/traces', sampleRatio: 0.1 })]
 */
import { z } from 'zod'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base'
import { definePlugin } from '../../core/plugin/define.ts'
import type { ObserverPlugin } from '../../core/types.ts'
import { GATEHOUSE_VERSION } from '../../core/version.ts'
import { otlpExporter } from './exporter.ts'
import { OtelRequestTracer } from './spans.ts'

const optionsSchema = z.strictObject({
  /** The collector's OTLP/HTTP traces URL, e.g. "http://127.0.0.1:4318/v1/traces" (the path is not added for you). */
  endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as "http://127.0.0.1:4318/v1/traces"' }),
  /** Share of new traces sampled, 0 … 1 (a request with a `traceparent` follows its sampled flag). Default 1. */
  sampleRatio: z.number().min(0).max(1).default(1),
  /** The `service.name` of the spans. Default "gatehouse". */
  serviceName: z.string().min(1).default('gatehouse'),
  /** Headers sent with each export (a collector's API key). Default none. */
  headers: z.record(z.string(), z.string()).default({}),
})

export type TracingOptions = z.input<typeof optionsSchema>

export function tracing(options: TracingOptions): ObserverPlugin {
  return definePlugin('observer', 'tracing', optionsSchema, options, (o) => ({
    start({ gateway, signal, log }) {
      if (!gateway.traceRequests) throw new Error('tracing: this gateway cannot trace requests')
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': o.serviceName, 'service.version': GATEHOUSE_VERSION }),
        sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(o.sampleRatio) }),
        spanProcessors: [new BatchSpanProcessor(otlpExporter(o.endpoint, o.headers, log))],
      })
      const tracer = new OtelRequestTracer(provider.getTracer('gatehouse', GATEHOUSE_VERSION), () => provider.shutdown(), o.sampleRatio > 0)
      signal.addEventListener('abort', gateway.traceRequests(tracer), { once: true })
      log.info(`tracing to ${o.endpoint} (sampling ${o.sampleRatio * 100}% of new traces)`)
    },
  }))
}

export default tracing
