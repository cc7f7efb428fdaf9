/** What Hono's context carries through every gateway request, and the middleware type built on it. */
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentEncoding, RuntimeCompression } from './runtime/types.ts'
import type { RequestTrace } from './plugin/tracer.ts'

/** Hono environment of every gateway request. */
export interface GatewayEnv {
  Variables: {
    /** Client address per trusted-proxy rules. */
    clientIp: string
    /** The request's X-Request-Id (a trusted proxy's, or generated): sent upstream, returned, logged. */
    requestId: string
    /** Name of the matched route's pool. */
    pool: string
    /** Path params of the matched route (`/users/:id`). */
    params: Record<string, string>
    /** Who the request is from, as an auth plugin established it (JWT subject, API-key consumer). */
    consumer: string | undefined
    /** Headers set on the upstream request by middleware; see `setUpstreamHeader`. */
    upstreamHeaders: Record<string, string> | undefined
    /** Encodes the proxied response body (compress); see `setResponseEncoder`. */
    responseEncoder: ResponseEncoder | undefined
    /** The request's trace, when a tracing observer traces it (core/plugin/tracer.ts). */
    trace: RequestTrace | undefined
  }
}

export type GatewayContext = Context<GatewayEnv>

/** Everything else (auth, rate limits, header rules) is a Hono middleware. */
export type GatewayMiddleware = MiddlewareHandler<GatewayEnv>

/** Chooses the Content-Encoding of a proxied response from its head (compress; see `setResponseEncoder`). */
export type ResponseEncoder = (status: number, headers: string[], runtime: RuntimeCompression) => ContentEncoding | undefined
