// A recording OTLP/HTTP trace receiver. No real OpenTelemetry Collector (or Jaeger, Tempo) can be
// installed on this machine, so this stands in for one: it accepts what an OTLP/HTTP exporter
// POSTs to /v1/traces in the JSON encoding (the OTLP spec's protobuf-JSON mapping: ids as hex,
// attribute values as typed `AnyValue`s), answers 200 as a collector does, and keeps every span,
// flattened, for the test to read. It decodes; it checks the shape only as far as it reads it.
import { createServer, type Server } from 'node:http'

export interface ReceivedSpan {
  traceId: string
  spanId: string
  /** '' for a root span. */
  parentSpanId: string
  name: string
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number
  attributes: Record<string, string | number | boolean>
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number
  service: string
}

export interface OtlpReceiver {
  url: string
  spans: ReceivedSpan[]
  /** Content types of the exports received. */
  contentTypes: string[]
  close(): Promise<void>
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean }
type KeyValue = { key: string; value: AnyValue }

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const contentTypes: string[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end()
      contentTypes.push(String(req.headers['content-type']))
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[]
      }
      for (const rs of body.resourceSpans) {
        const service = String(attributes(rs.resource.attributes)['service.name'])
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({
              traceId: s.traceId as string,
              spanId: s.spanId as string,
              parentSpanId: (s.parentSpanId as string | undefined) ?? '',
              name: s.name as string,
              kind: s.kind as number,
              attributes: attributes((s.attributes as KeyValue[] | undefined) ?? []),
              status: ((s.status as { code?: number } | undefined)?.code) ?? 0,
              service,
            })
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    contentTypes,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  }
}

function attributes(list: KeyValue[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const { key, value } of list) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue ?? ''
  }
  return out
}
