/**
 * Starts every discovery source: per-pool ones (`pools.<name>.upstreams` / `.discovery`) and
 * top-level ones (`discovery`, which may add pools and routes). Startup waits for each source's
 * first snapshot, but never longer than `waitMs`: a dead etcd must not keep the gateway down.
 */
import type { GatewayConfig } from '../config/schema.ts'
import type { DiscoveryPlugin, DiscoverySnapshot } from '../types.ts'
import type { PluginContext } from '../plugin/contract.ts'
import { pluginContext } from '../plugin/context.ts'
import { staticUpstreams } from '../pools/static-upstreams.ts'

export interface DiscoveryDeps extends PluginContext {
  onSnapshot(source: string, snapshot: DiscoverySnapshot): void
  waitMs: number
}

export async function startDiscovery(config: GatewayConfig, deps: DiscoveryDeps): Promise<void> {
  const starts: Promise<void>[] = []
  for (const [name, pool] of Object.entries(config.pools)) {
    const sources: DiscoveryPlugin[] = [...(pool.upstreams ? [staticUpstreams(pool.upstreams)] : []), ...pool.discovery]
    sources.forEach((plugin, i) => starts.push(startSource(plugin, `${plugin.name}@pools.${name}${sources.length > 1 ? `[${i}]` : ''}`, deps, name)))
  }
  config.discovery.forEach((plugin, i) => starts.push(startSource(plugin, `${plugin.name}@discovery[${i}]`, deps)))
  await Promise.all(starts)
}

async function startSource(plugin: DiscoveryPlugin, id: string, deps: DiscoveryDeps, pool?: string): Promise<void> {
  const { log, onSnapshot, waitMs } = deps
  let timer: ReturnType<typeof setTimeout> | undefined
  const started = Promise.resolve()
    .then(() => plugin.start({ ...pluginContext(plugin, deps), emit: (s) => onSnapshot(id, s), pool }))
    .catch((err) => log.error(`discovery ${id} failed to start`, { error: String(err?.message ?? err) }))
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warn(`discovery ${id}: no snapshot after ${waitMs} ms, serving without it for now`)
      resolve()
    }, waitMs)
  })
  await Promise.race([started, waited])
  clearTimeout(timer)
}
