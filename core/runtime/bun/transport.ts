/**
 * Bun's upstream client: the gateway's own strict HTTP/1.1 client over `Bun.connect` (../http1/,
 * as on Deno), one keep-alive pool per upstream, closed when the upstream leaves. Bun's fetch()
 * was the client before; it adds `User-Agent: Bun/…` and `Accept: *\/*` to every request that has
 * none (no option turns that off), keeps at most 64 idle connections per process for all
 * upstreams together, and cannot tell a connect timeout from a first-byte one.
 */
import { http1Transport } from '../http1/transport.ts'
import { bunConnector } from './socket.ts'
import { upgradeToUpstream } from './websocket.ts'

export const bunTransport = http1Transport(bunConnector, upgradeToUpstream)
