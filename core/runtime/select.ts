/**
 * The one place that picks the runtime adapter: the one we are running under. Each adapter is
 * imported only when chosen, so Node never loads Bun's or Deno's code and Deno never loads
 * undici's Node-only fast path.
 */
import type { Runtime } from './types.ts'

export async function currentRuntime(): Promise<Runtime> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown }
  if (g.Bun) return (await import('./bun/index.ts')).bunRuntime
  if (g.Deno) return (await import('./deno/index.ts')).denoRuntime
  return (await import('./node/index.ts')).nodeRuntime
}
