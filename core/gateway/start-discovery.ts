/**
 * The discovery sources a config asks for: per-pool ones (`pools.<name>.upstreams` / `.discovery`)
 * and top-level ones (`discovery`, which may add pools and routes). Each pushes its snapshots to
 * the watcher under its slot (`docker@discovery[0]`) until its own signal aborts. Starting waits
 * for each source's first snapshot, but never longer than `waitMs`: a dead etcd must not keep the
 * gateway down (nor hold a reload).
 */
import type { GatewayConfig } from '../config/schema.ts'
import type { DiscoveryPlugin, Scaler } from '../types.ts'
import type { PluginContext } from '../plugin/contract.ts'
import { pluginContext } from '../plugin/context.ts'
import { staticUpstreams } from '../pools/static-upstreams.ts'
import type { WantedRun } from './plugin-runs.ts'
import type { Watcher } from './watcher.ts'

export interface DiscoveryDeps {
  /** The gateway's context (its signal is replaced by each source's own). */
  gateway: PluginContext
  watcher: Watcher
  waitMs: number
  /** A source hands over its engine's scaler (DiscoveryContext.scaler): its slot, its pool if under one, and its signal. */
  onScaler?: (slot: string, pool: string | undefined, scaler: Scaler, signal: AbortSignal) => void
}

export function discoverySources(config: GatewayConfig, deps: DiscoveryDeps): WantedRun<void>[] {
  const runs: WantedRun<void>[] = []
  for (const [name, pool] of Object.entries(config.pools)) {
    const sources: DiscoveryPlugin[] = [...(pool.upstreams ? [staticUpstreams(pool.upstreams)] : []), ...pool.discovery]
    sources.forEach((plugin, i) => runs.push(source(plugin, `${plugin.name}@pools.${name}${sources.length > 1 ? `[${i}]` : ''}`, deps, name)))
  }
  config.discovery.forEach((plugin, i) => runs.push(source(plugin, `${plugin.name}@discovery[${i}]`, deps)))
  return runs
}

function source(plugin: DiscoveryPlugin, id: string, deps: DiscoveryDeps, pool?: string): WantedRun<void> {
  return { slot: id, plugin, start: (signal) => startSource(plugin, id, deps, signal, pool) }
}

async function startSource(plugin: DiscoveryPlugin, id: string, { gateway, watcher, waitMs, onScaler }: DiscoveryDeps, signal: AbortSignal, pool?: string): Promise<void> {
  const { log } = gateway
  let timer: ReturnType<typeof setTimeout> | undefined
  const ctx = {
    ...pluginContext(plugin, { ...gateway, signal }),
    pool,
    emit: (s: unknown) => void (signal.aborted || watcher.push(id, s)),
    reject: (problems: string[]) => void (signal.aborted || watcher.failed(id, problems)),
    scaler: (scaler: Scaler) => onScaler?.(id, pool, scaler, signal),
  }
  const started = Promise.resolve()
    .then(() => plugin.start(ctx))
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
