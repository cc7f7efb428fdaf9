/** How errors name each plugin kind (with factories users know); values only, so slot checks import no plugin types. */
import type { PluginKind } from './contract.ts'

/** "a balancer plugin" and examples, for `expected … got …` errors. */
export const KINDS: Record<PluginKind, { noun: string; examples: string }> = {
  balancer: { noun: 'a balancer plugin', examples: 'roundRobin(), leastConn(), hash() …' },
  discovery: { noun: 'a discovery plugin', examples: 'staticUpstreams([...]), docker(), etcd(), file(), dns() …' },
  health: { noun: 'an active health plugin', examples: 'activeHealth({ path: "/" }) …' },
  outlier: { noun: 'a passive health plugin', examples: 'outlierDetection() …' },
  observer: { noun: 'an observer plugin', examples: 'metrics(), accessLog(), tracing(), admin() …' },
  middleware: { noun: 'a middleware plugin', examples: 'jwt(), apiKey(), rateLimit(), cors() … or a function (c, next) => …' },
  certificates: { noun: 'a certificate source', examples: '[{ cert, key }], certificateFiles([...]), acme() …' },
  coordination: { noun: 'a coordination plugin', examples: 'etcdCoordination({ endpoints: [...] }) …' },
}

export const isPluginKind = (v: unknown): v is PluginKind => typeof v === 'string' && Object.hasOwn(KINDS, v)
