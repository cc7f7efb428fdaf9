/** The readiness probe of a scaling pool without an active check: any answer to `GET /`, in the upstream's protocol (a refused or silent port is not ready). */
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { UpstreamProbe } from '../pools/upstream-probe.ts'

export function answers(probe: UpstreamProbe): (up: UpstreamRuntime) => Promise<boolean> {
  return (up) =>
    probe(new URL('/', up.url), up.protocol, { method: 'GET', headers: {}, timeoutMs: 1000, maxBodyBytes: 0 }).then(
      () => true,
      () => false,
    )
}
