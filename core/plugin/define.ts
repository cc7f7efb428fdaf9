/**
 * `definePlugin`: what every factory does with its options. The plugin's zod schema validates
 * them; on failure the factory still returns a plugin of its kind, inert and carrying `problems`
 * (one line per bad field), so the config schema can list every bad field of the whole config at
 * once instead of stopping at the first factory that threw.
 *
 * @example
 * export function canary(options: CanaryOptions = {}): Balancer {
 *   return definePlugin('balancer', 'canary', schema, options, (o) => ({ pick: (candidates) => candidates[0] }))
 * }
 */
import type { z } from 'zod'
import { ConfigError, formatIssues } from '../config/errors.ts'
import type { PluginBase, PluginKind } from './contract.ts'
import type { PluginOf } from './kinds.ts'

/** A plugin object without what definePlugin adds. */
export type PluginBody<K extends PluginKind> = Omit<PluginOf<K>, keyof PluginBase<K>>

export function definePlugin<K extends PluginKind, S extends z.ZodType, B extends PluginBody<K>>(
  kind: K,
  name: string,
  schema: S,
  input: unknown,
  build: (options: z.output<S>) => B,
): B & PluginBase<K> {
  const result = schema.safeParse(input ?? {})
  if (!result.success) return invalidPlugin(kind, name, input, formatIssues(result.error.issues)) as unknown as B & PluginBase<K>
  // Assigned, not spread: a plugin's getters (admin's `port`) keep working.
  return Object.assign(build(result.data), { kind, name, options: input })
}

/** A plugin of `kind` that carries `problems` and refuses to run (a config holding it never starts). */
export function invalidPlugin<K extends PluginKind>(kind: K, name: string, options: unknown, problems: readonly string[]): PluginOf<K> {
  const refuse = () => {
    throw new ConfigError(problems.map((p) => `${name}(): ${p}`), `options for plugin ${name}`)
  }
  const inert = { pick: refuse, start: refuse, observe: refuse, setup: refuse }
  return { ...inert, kind, name, options, problems } as unknown as PluginOf<K>
}

/** Throws a ConfigError naming plugin and field when `plugin` carries problems; else returns it (for code that uses a plugin outside a config). */
export function assertValidPlugin<P extends PluginBase<PluginKind>>(plugin: P): P {
  if (plugin.problems?.length) throw new ConfigError(plugin.problems.map((p) => `${plugin.name}(): ${p}`), `options for plugin ${plugin.name}`)
  return plugin
}
