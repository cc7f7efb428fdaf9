/** Building a plugin's PluginContext from the gateway's: the same logger, prefixed with the plugin's name. */
import type { Logger } from '../types.ts'
import type { PluginBase, PluginContext, PluginKind } from './contract.ts'

export function pluginContext(plugin: PluginBase<PluginKind>, gateway: PluginContext): PluginContext {
  return { log: prefixedLogger(gateway.log, plugin.name), signal: gateway.signal, io: gateway.io }
}

/**
 * Prefixes each message with `name: `, unless it already starts with the name (many plugins
 * name themselves: "jwt: cannot fetch JWKS", "docker /var/run/docker.sock: connected").
 */
export function prefixedLogger(log: Logger, name: string): Logger {
  const lower = name.toLowerCase()
  const named = (msg: string) => (msg.toLowerCase().startsWith(lower) ? msg : `${name}: ${msg}`)
  return {
    info: (m, f) => log.info(named(m), f),
    warn: (m, f) => log.warn(named(m), f),
    error: (m, f) => log.error(named(m), f),
  }
}
