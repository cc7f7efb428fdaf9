/**
 * Loads a config on Deno: a plain dynamic import (Deno runs TypeScript itself), so the config
 * shares the running gateway's modules. Inside this repository `import 'gatehouse'` resolves by
 * the package's self-reference (package.json `exports`); a config elsewhere needs a project
 * where `gatehouse` is installed. Deno never fetches a bare name from the registry by itself.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

export function importModule(path: string): Promise<Record<string, unknown>> {
  return import(pathToFileURL(resolve(path)).href)
}
