/** The readiness probe of a scaling pool without an active check: any HTTP answer to `GET /` (a refused or silent port is not ready). */
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { Runtime } from '../runtime/types.ts'

export function answers(runtime: Runtime): (up: UpstreamRuntime) => Promise<boolean> {
  return (up) =>
    runtime.io.healthCheck(new URL('/', up.url), { method: 'GET', headers: {}, timeoutMs: 1000, maxBodyBytes: 0 }).then(
      () => true,
      () => false,
    )
}
