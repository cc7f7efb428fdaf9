/** Loads gateway.config.ts (any module whose default export is a config) and validates it. */
import { ConfigError, isConfigError } from './errors.ts'
import { validateConfig } from './validate.ts'
import type { GatewayConfig } from './schema.ts'

/** `importer` is the runtime's module loader (Node bundles TypeScript with esbuild; Bun and Deno import it). */
export async function loadConfig(importer: () => Promise<Record<string, unknown>>, displayName: string): Promise<GatewayConfig> {
  let mod: Record<string, unknown>
  try {
    mod = await importer()
  } catch (err) {
    if (isConfigError(err)) throw err // a plugin factory rejected its options
    const message = err instanceof Error ? err.message : String(err)
    throw new ConfigError(message.split('\n').filter(Boolean).slice(0, 6).map((l) => `cannot load: ${l}`), displayName)
  }
  if (mod.default === undefined) throw new ConfigError(['expected `export default defineConfig({...})`'], displayName)
  return validateConfig(mod.default, displayName)
}
