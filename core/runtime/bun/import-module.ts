/**
 * Loads a config on Bun: a plain dynamic import (Bun runs TypeScript itself), so the config
 * shares the running gateway's modules. `import 'gatehouse'` resolves like any package: inside
 * this repository by the package's self-reference (its `exports`), in a project by its
 * node_modules. A config with neither above it would make Bun *auto-install* whatever package
 * the registry has under that name; such a config is bundled with esbuild instead, as on Node,
 * with `gatehouse` meaning this gateway.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const loads = new Map<string, number>()

export async function importModule(path: string): Promise<Record<string, unknown>> {
  const file = resolve(path)
  if (gatehouseResolvesFrom(dirname(file))) return import(fresh(file))
  const { bundleAndImport } = await import('../node/bundle-config.ts')
  return bundleAndImport(file)
}

/**
 * From the second load on (a reload), the path gets a query: Bun caches modules by specifier, so a
 * reload must name the config anew to evaluate it again. A path, not a file: URL, whose query Bun
 * 1.4 ignores. Modules the config imports stay cached (the config is read afresh, not the files
 * it imports).
 */
function fresh(file: string): string {
  const n = (loads.get(file) ?? 0) + 1
  loads.set(file, n)
  return n > 1 ? `${file}?reload=${n}` : pathToFileURL(file).href
}

/** Whether `gatehouse` is this package (self-reference) or installed in a node_modules above `dir`. */
function gatehouseResolvesFrom(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules', 'gatehouse', 'package.json'))) return true
    const pkg = join(d, 'package.json')
    if (existsSync(pkg) && packageName(pkg) === 'gatehouse') return true
    if (dirname(d) === d) return false
  }
}

function packageName(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name
  } catch {
    return undefined
  }
}
