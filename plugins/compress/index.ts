/**
 * Compresses proxied responses (Caddy's `encode`, Traefik's `compress`): zstd, brotli, gzip or
 * deflate, whichever the client ranks highest in Accept-Encoding (q-values; this list's order
 * breaks ties) among those the runtime has — Node: all four (zstd from 22.15); Bun: all four;
 * Deno: brotli, gzip, deflate. Bodies stream through the compressor; nothing is buffered.
 *
 * Left alone: responses the upstream already encoded (any Content-Encoding), bodies under
 * `minSize` (by Content-Length; unknown lengths are compressed), media types not in `types`
 * (images, video, archives), `text/event-stream` unless `eventStream: true` (on Node only, where
 * each event is flushed as it comes), HEAD, 204/206/304, and `Cache-Control: no-transform`.
 * A compressed response loses Content-Length and Accept-Ranges, its strong ETag becomes weak, and
 * every compressible response gets `Vary: Accept-Encoding`, so caches keep one copy per encoding.
 * Uncompressed traffic keeps the fast path: the decision is made once, on the response head.
 *
 * @example
 * ```ts
 * import { compress } from 'gatehouse/plugins/compress'
 * routes: [{ path: '/*', pool: 'web', use: [compress()] }]
 * routes: [{ path: '/api/*', pool: 'api', use: [compress({ encodings: ['gzip'], minSize: '4kb' })] }]
 * ```
 */
import { z } from 'zod'
import { byteSize } from '../../core/config/byte-size.ts'
import { setResponseEncoder, type ContentEncoding, type ResponseEncoder } from '../../core/proxy/response-encoding.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { compressibleTypes, mediaType } from './compressible.ts'
import { negotiate } from './negotiate.ts'

const ENCODINGS = ['zstd', 'br', 'gzip', 'deflate'] as const

const schema = z.strictObject({
  /** Encodings offered, in the server's order of preference. Default zstd, br, gzip, deflate. */
  encodings: z.array(z.enum(ENCODINGS, { error: `expected one of ${ENCODINGS.join(', ')}` })).min(1).default([...ENCODINGS]),
  /** Bodies with a smaller Content-Length are sent as they are. Default 1kb (1024 bytes). */
  minSize: byteSize().default(1024),
  /** Media types to compress (exact, or `text/*`). Default: text/*, JSON, JavaScript, XML, SVG, +json/+xml, wasm. */
  types: z.array(z.string().regex(/^[\w.+-]+\/(\*|[\w.+-]+)$/, { error: 'expected a media type like "text/html" or "text/*"' })).min(1).optional(),
  /** Also compress text/event-stream (flushed event by event; Node only). Default false. */
  eventStream: z.boolean().default(false),
})

export type CompressOptions = z.input<typeof schema>

export function compress(options: CompressOptions = {}): MiddlewarePlugin {
  return definePlugin('middleware', 'compress', schema, options, (o) => ({
    setup() {
      const compressible = compressibleTypes(o.types)
      return async (c, next) => {
        if (c.req.method !== 'HEAD') {
          const accept = c.req.header('accept-encoding')
          const encoder: ResponseEncoder = (status, headers, runtime) => {
            if (status < 200 || status === 204 || status === 206 || status === 304) return undefined
            const get = (name: string) => headerValue(headers, name)
            if (get('content-encoding') !== undefined || /\bno-transform\b/i.test(get('cache-control') ?? '')) return undefined
            const type = mediaType(get('content-type'))
            const stream = type === 'text/event-stream'
            if (stream ? !(o.eventStream && runtime.flushes) : !compressible(type)) return undefined
            const length = get('content-length')
            if (length !== undefined && Number(length) < o.minSize) return undefined
            addVary(headers)
            const encoding = negotiate(accept, o.encodings.filter((e) => runtime.encodings.includes(e)))
            if (encoding) encode(headers, encoding)
            return encoding
          }
          setResponseEncoder(c, encoder)
        }
        await next()
      }
    },
  }))
}

function headerValue(headers: string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return headers[i + 1]
  return undefined
}

function removeHeader(headers: string[], name: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i]!.toLowerCase() === name) headers.splice(i, 2)
}

/** `Vary: Accept-Encoding`, added to an existing Vary unless it names it (or `*`) already. */
function addVary(headers: string[]): void {
  const i = headers.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === 'vary')
  if (i < 0) return void headers.push('vary', 'Accept-Encoding')
  if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(headers[i + 1]!)) headers[i + 1] = `${headers[i + 1]}, Accept-Encoding`
}

function encode(headers: string[], encoding: ContentEncoding): void {
  removeHeader(headers, 'content-length')
  removeHeader(headers, 'accept-ranges')
  const etag = headerValue(headers, 'etag')
  if (etag && !etag.startsWith('W/')) {
    removeHeader(headers, 'etag')
    headers.push('etag', `W/${etag}`)
  }
  headers.push('content-encoding', encoding)
}
