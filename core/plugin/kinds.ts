/** Which object each plugin kind is, and how errors name a kind (with factories users know). */
import type { Balancer, DiscoveryPlugin, HealthPlugin, ObserverPlugin, OutlierPlugin } from '../types.ts'
import type { CertificateSource } from '../tls/certificate-source.ts'
import type { MiddlewarePlugin, PluginKind } from './contract.ts'
import type { CoordinationPlugin } from './coordination.ts'

export interface PluginKinds {
  balancer: Balancer
  discovery: DiscoveryPlugin
  health: HealthPlugin
  outlier: OutlierPlugin
  observer: ObserverPlugin
  middleware: MiddlewarePlugin
  certificates: CertificateSource
  coordination: CoordinationPlugin
}

export type PluginOf<K extends PluginKind> = PluginKinds[K]

export { isPluginKind, KINDS } from './kind-names.ts'
