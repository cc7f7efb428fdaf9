/**
 * How a response-side plugin (compress) has the proxied body encoded. On Node the upstream's
 * response is written straight into the raw socket (DESIGN.md §5), so a middleware cannot wrap
 * `c.res`: it registers an encoder chooser here instead, the core calls it with the response head
 * (after the route's header rules), and whatever encoding it picks is applied by the runtime —
 * Node pipes the body through node:zlib in its transport; Bun and Deno return Web Responses, whose
 * body the core pipes through a CompressionStream. With no encoder, nothing changes on the fast path.
 *
 * @example
 * const gzipAll: GatewayMiddleware = async (c, next) => {
 *   setResponseEncoder(c, (status, headers, supported) => (supported.includes('gzip') ? (setHeader(headers, 'content-encoding', 'gzip'), 'gzip') : undefined))
 *   await next()
 * }
 */
import type { Context } from 'hono'
import type { GatewayEnv, ResponseEncoder } from '../gateway-env.ts'
import type { ContentEncoding, RuntimeCompression } from '../runtime/types.ts'

export type { ContentEncoding }

/**
 * Decides from the response head (flat [name, value…], editable in place) whether to encode the
 * body, and with which of the runtime's `supported` encodings. When it returns one, it must have
 * set `content-encoding` and removed `content-length` itself.
 */
export type { ResponseEncoder } from '../gateway-env.ts'

export function setResponseEncoder(c: Context<GatewayEnv>, encoder: ResponseEncoder): void {
  c.set('responseEncoder', encoder)
}
