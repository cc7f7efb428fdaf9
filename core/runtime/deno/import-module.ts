/**
 * Loads a config on Deno: a plain dynamic import (Deno runs TypeScript itself), so the config
 * shares the running gateway's modules. Inside this repository `import 'gatehouse'` resolves by
 * the package's self-reference (package.json `exports`); a config elsewhere needs a project
 * where `gatehouse` is installed. Deno never fetches a bare name from the registry by itself.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const loads = new Map<string, number>()

/**
 * From the second load on (a reload), the URL gets a query: Deno caches modules by URL, so the
 * config must be named anew to be evaluated again. Modules the config imports stay cached.
 */
export function importModule(path: string): Promise<Record<string, unknown>> {
  const file = resolve(path)
  const n = (loads.get(file) ?? 0) + 1
  loads.set(file, n)
  return import(pathToFileURL(file).href + (n > 1 ? `?reload=${n}` : ''))
}
