/**
 * A Web `Request` (Bun.serve, Deno.serve) as the core and the runtime's transport see it: the
 * request view, the `Request` itself (its body is the body source, its signal the client-gone
 * signal) and the server's per-request value (`env`: Bun's server, which upgrades WebSockets).
 */
import type { Inbound, TransportRequest } from '../types.ts'
import { limitWebBody } from './body-limit.ts'

export class WebRequest<Env = unknown> implements TransportRequest {
  constructor(
    readonly request: Request,
    readonly inbound: Inbound,
    readonly env: Env,
  ) {}

  limitBody(maxBytes: number): Promise<Response> | undefined {
    return limitWebBody(this.request, maxBytes)
  }
}
