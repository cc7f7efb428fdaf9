/** Which object each plugin kind is, and how errors name a kind (with factories users know). */
import type { Balancer, DiscoveryPlugin, HealthPlugin, ObserverPlugin, OutlierPlugin } from '../types.ts'
import type { CertificateSource } from '../tls/certificate-source.ts'
import type { MiddlewarePlugin, PluginKind } from './contract.ts'

export interface PluginKinds {
  balancer: Balancer
  discovery: DiscoveryPlugin
  health: HealthPlugin
  outlier: OutlierPlugin
  observer: ObserverPlugin
  middleware: MiddlewarePlugin
  certificates: CertificateSource
}

export type PluginOf<K extends PluginKind> = PluginKinds[K]

/** "a balancer plugin" and examples, for `expected … got …` errors. */
export const KINDS: Record<PluginKind, { noun: string; examples: string }> = {
  balancer: { noun: 'a balancer plugin', examples: 'roundRobin(), leastConn(), hash() …' },
  discovery: { noun: 'a discovery plugin', examples: 'staticUpstreams([...]), docker(), etcd(), file(), dns() …' },
  health: { noun: 'an active health plugin', examples: 'activeHealth({ path: "/" }) …' },
  outlier: { noun: 'a passive health plugin', examples: 'outlierDetection() …' },
  observer: { noun: 'an observer plugin', examples: 'metrics(), accessLog(), admin() …' },
  middleware: { noun: 'a middleware plugin', examples: 'jwt(), apiKey(), rateLimit(), cors() … or a function (c, next) => …' },
  certificates: { noun: 'a certificate source', examples: '[{ cert, key }], certificateFiles([...]), acme() …' },
}

export const isPluginKind = (v: unknown): v is PluginKind => typeof v === 'string' && Object.hasOwn(KINDS, v)
