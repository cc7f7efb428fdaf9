/** The one place that picks the runtime adapter: the one we are running under. */
import type { Runtime } from './types.ts'

export async function currentRuntime(): Promise<Runtime> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown }
  if (g.Bun) throw new Error('the Bun adapter is not available yet (see the runtimes issue)')
  if (g.Deno) throw new Error('the Deno adapter is not available yet (see the runtimes issue)')
  return (await import('./node/index.ts')).nodeRuntime
}
