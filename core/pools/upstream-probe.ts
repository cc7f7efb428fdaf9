/**
 * One request of the gateway's own to an upstream, in the upstream's protocol: HTTP/1.1, or HTTP/2
 * for an `h2c`/`h2` one (an HTTP/2-only server, a gRPC one, gives an HTTP/1.1 client no answer it
 * can parse). For scaling readiness (core/scale/answers.ts) and mirrored copies (core/release/mirror.ts).
 */
import type { PluginIO } from '../plugin/io.ts'
import type { UpstreamProtocol } from './upstream.ts'

export type UpstreamProbe = (
  url: URL,
  protocol: UpstreamProtocol | undefined,
  opts: { method: string; headers: Record<string, string>; timeoutMs: number; maxBodyBytes: number },
) => Promise<{ status: number }>

export function upstreamProbe(io: Pick<PluginIO, 'healthCheck' | 'http2Check'>): UpstreamProbe {
  return (url, protocol, opts) => (protocol ? io.http2Check(url, { ...opts, protocol }) : io.healthCheck(url, opts))
}
