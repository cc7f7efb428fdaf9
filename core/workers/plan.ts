/** How many worker processes a config gets on this runtime and machine (0: none, one process serves). */
import type { GatewayConfig } from '../config/schema.ts'
import type { Runtime } from '../runtime/types.ts'

export interface WorkerPlan {
  count: number
  /** Why there are none although the config asks for them (logged at start). */
  note?: string
}

export function planWorkers(config: GatewayConfig, runtime: Runtime): WorkerPlan {
  if (config.workers === 1) return { count: 0 }
  if (!runtime.workers) return { count: 0, note: `workers: ${config.workers} is not available on ${runtime.name} (see README, Every core); serving from one process` }
  const count = config.workers === 'auto' ? runtime.workers.cores() : config.workers
  if (count <= 1) return { count: 0 }
  // 'auto' with what workers cannot do yet (validate.ts refuses it for a number): one process.
  const pool = Object.entries(config.pools).find(([, p]) => p.scale || p.release)?.[0]
  const alone = config.listen.tls ? 'listen.tls' : pool ? `pools.${pool} (scale or release)` : config.observe.some((o) => o.name === 'tracing') ? 'tracing()' : undefined
  if (alone) return { count: 0, note: `workers: 'auto' found ${count} cores, but ${alone} needs one process for now; serving from one process` }
  return { count }
}
