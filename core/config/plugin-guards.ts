/** Zod guards for plugin instances in a config: they are built by factories, so only their shape is checked. */
import { z } from 'zod'
import type { Balancer, DiscoveryPlugin, GatewayMiddleware, HealthPlugin, ObserverPlugin, OutlierPlugin } from '../types.ts'

export const balancerPlugin = z.custom<Balancer>(
  (v) => typeof v === 'object' && v !== null && typeof (v as Balancer).pick === 'function',
  { error: 'expected a balancer plugin, e.g. roundRobin() from "gatehouse/plugins/round-robin"' },
)

export const discoveryPlugin = z.custom<DiscoveryPlugin>(
  (v) => typeof v === 'object' && v !== null && typeof (v as DiscoveryPlugin).start === 'function' && typeof (v as DiscoveryPlugin).name === 'string',
  { error: 'expected a discovery plugin, e.g. staticUpstreams([...]) from "gatehouse/plugins/static"' },
)

export const middlewarePlugin = z.custom<GatewayMiddleware>((v) => typeof v === 'function', {
  error: 'expected a middleware (a function (c, next) => …), e.g. from a plugin factory',
})

/** Plugin lists allow falsy entries (`cond && plugin()`), as in Vite; they are dropped. */
export const pluginList = <P>(item: z.ZodType<P, P>) =>
  z
    .array(z.union([item, z.literal(false), z.null(), z.undefined()]))
    .transform((list) => list.filter((x): x is Exclude<typeof x, false | null | undefined> => Boolean(x)) as P[])

export const healthPlugin = z.custom<HealthPlugin>(
  (v) => typeof v === 'object' && v !== null && typeof (v as HealthPlugin).start === 'function' && !('pick' in v),
  { error: 'expected an active health check, e.g. activeHealth({ path: "/" }) from "gatehouse/plugins/active-health"' },
)

export const outlierPlugin = z.custom<OutlierPlugin>(
  (v) => typeof v === 'object' && v !== null && typeof (v as OutlierPlugin).observe === 'function',
  { error: 'expected passive health, e.g. outlierDetection() from "gatehouse/plugins/outlier-detection"' },
)

export const observerPlugin = z.custom<ObserverPlugin>(
  (v) => typeof v === 'object' && v !== null && typeof (v as ObserverPlugin).start === 'function' && typeof (v as ObserverPlugin).name === 'string',
  { error: 'expected an observer plugin, e.g. metrics(), accessLog() or admin()' },
)
