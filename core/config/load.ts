/** Loads gateway.config.ts (any module whose default export is a config) and validates it. */
import { ConfigError } from './errors.ts'
import { validateConfig } from './validate.ts'
import type { GatewayConfig } from './schema.ts'

export async function loadConfig(fileUrl: string, displayName = fileUrl): Promise<GatewayConfig> {
  let mod: { default?: unknown }
  try {
    mod = await import(fileUrl)
  } catch (err) {
    if (isConfigError(err)) throw err // a plugin factory rejected its options
    const message = err instanceof Error ? err.message : String(err)
    throw new ConfigError([`cannot load: ${message.split('\n')[0]}`], displayName)
  }
  if (mod.default === undefined) throw new ConfigError(['expected `export default defineConfig({...})`'], displayName)
  return validateConfig(mod.default, displayName)
}
