/**
 * The readiness probe of a scaling pool without an active check: any answer to `GET /` (a refused or
 * silent port is not ready), in the upstream's own protocol — an HTTP/1.1 probe gets no answer a
 * parser takes from an h2c-only server (a gRPC one), which would never count as ready.
 */
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { Runtime } from '../runtime/types.ts'

export function answers(runtime: Runtime): (up: UpstreamRuntime) => Promise<boolean> {
  const probe = { method: 'GET', headers: {}, timeoutMs: 1000, maxBodyBytes: 0 }
  return (up) =>
    (up.protocol ? runtime.io.http2Check(new URL('/', up.url), { ...probe, protocol: up.protocol }) : runtime.io.healthCheck(new URL('/', up.url), probe)).then(
      () => true,
      () => false,
    )
}
