/**
 * The OTLP/HTTP exporter (JSON encoding), in the flavour that sends with `fetch`: the package's
 * default entry on Node sends with `node:http`, and its browser entry (the same exporter,
 * transport apart) runs unchanged on Node, Bun and Deno, which all have `fetch`. Failed exports
 * are logged, at most one line a minute (a collector that is down must not flood the log); spans
 * are dropped then, never the requests.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http/build/src/platform/browser/index.js'
import type { ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { Logger } from '../../core/logger.ts'

const LOG_EVERY_MS = 60_000

export function otlpExporter(endpoint: string, headers: Record<string, string>, log: Logger): SpanExporter {
  const inner = new OTLPTraceExporter({ url: endpoint, headers })
  let lastLogged = 0
  let missed = 0
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        if (result.code !== 0) {
          missed += spans.length
          const now = Date.now()
          if (now - lastLogged >= LOG_EVERY_MS) {
            lastLogged = now
            log.warn(`cannot export spans to ${endpoint}: ${String(result.error?.message ?? result.error ?? 'failed')}${result.error?.cause ? ` (${String(result.error.cause)})` : ''}`, { droppedSpans: missed })
            missed = 0
          }
        }
        done(result)
      })
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
  }
}
