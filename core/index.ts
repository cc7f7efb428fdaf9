/**
 * Gatehouse's public API: `import { defineConfig } from 'gatehouse'`.
 *
 * @example
 * import { defineConfig } from 'gatehouse'
 * import { leastConn } from 'gatehouse/plugins/least-conn'
 * export default defineConfig({
 *   pools: { web: { upstreams: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'], balancer: leastConn() } },
 *   routes: [{ path: '/*', pool: 'web' }],
 * })
 */
export { defineConfig, validateConfig } from './config/validate.ts'
export { loadConfig } from './config/load.ts'
export { ConfigError, parseOptions } from './config/errors.ts'
export { definePlugin, invalidPlugin, assertValidPlugin, type PluginBody } from './plugin/define.ts'
export type { PluginKind, PluginBase, PluginContext, MiddlewarePlugin } from './plugin/contract.ts'
export type { PluginIO, PluginServer, PluginServe, FileIO, DnsClient, SrvRecord, AddressRecord } from './plugin/io.ts'
export type { PluginOf } from './plugin/kinds.ts'
export type { CertificateContext, CertificateInput, CertificateSource } from './tls/certificate-source.ts'
export type { CoordinationPlugin, CoordinationSession } from './plugin/coordination.ts'
export type { ScaleInput, ScaleConfig } from './config/scale-schema.ts'
export { scaleFromLabels, SCALE_LABEL_KEYS } from './config/scale-schema.ts'
export { duration } from './config/duration.ts'
export { parseDuration } from './config/duration.ts'
export { createGateway, type Gateway, type GatewayOptions } from './gateway/create-gateway.ts'
export { createLogger } from './log.ts'
export { setUpstreamHeader } from './proxy/upstream-headers.ts'
export type { GatewayConfig, GatewayConfigInput, PoolConfig } from './config/schema.ts'
export type { RouteInput, RouteConfig } from './config/route-schema.ts'
export type * from './types.ts'
