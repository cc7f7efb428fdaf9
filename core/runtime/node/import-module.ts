/**
 * Loads a config on Node. Node ≥ 22.18 (and 23.6) strips TypeScript types itself: the config is a
 * plain `import()`, and its `import 'gatehouse'` resolves like any package (a project's
 * node_modules, or this package's self-reference in a checkout), to the modules already running.
 * Older Node, TypeScript that only a compiler can turn into JavaScript (enums, namespaces) and
 * plugin packages that ship `.ts` inside node_modules (which Node refuses to strip) go through
 * esbuild instead (./bundle-config.ts).
 */
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { bundleAndImport } from './bundle-config.ts'

/** What Node's own TypeScript support cannot load, but a bundle can. */
const NEEDS_BUNDLE = new Set(['ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING', 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX', 'ERR_UNKNOWN_FILE_EXTENSION'])

/** 'strip' or 'transform' where Node loads `.ts` itself; false or absent before (Node < 22.10 has no such field). */
export const nativeTypeScript = (): boolean => Boolean((process.features as { typescript?: string | false }).typescript)

export async function importModule(path: string): Promise<Record<string, unknown>> {
  const file = resolve(path)
  if (!nativeTypeScript() && /\.[mc]?ts$/.test(file)) return bundleAndImport(file)
  try {
    return await import(fresh(file))
  } catch (err) {
    if (NEEDS_BUNDLE.has((err as { code?: string }).code ?? '')) return bundleAndImport(file)
    throw located(err)
  }
}

const loads = new Map<string, number>()

/** From the second load on (a reload) the URL gets a query: Node caches modules by URL, so a reload must name the config anew. */
function fresh(file: string): string {
  const n = (loads.get(file) ?? 0) + 1
  loads.set(file, n)
  const url = pathToFileURL(file).href
  return n > 1 ? `${url}?reload=${n}` : url
}

/** Node names the file and line of a syntax error only in the stack's first line: put them in the message. */
function located(err: unknown): unknown {
  if (!(err instanceof SyntaxError)) return err
  const where = /^(file:\/\/\S+?|\/\S+?):(\d+)\n/.exec(err.stack ?? '')
  if (!where) return err
  const path = where[1]!.startsWith('file:') ? fileURLToPath(where[1]!) : where[1]!
  return new SyntaxError(`${path}:${where[2]}: ${err.message}`)
}
