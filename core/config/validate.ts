/** Validates a whole config: the schema, then the rules that span fields (routes name existing pools). */
import { configSchema, type GatewayConfig, type GatewayConfigInput } from './schema.ts'
import { ConfigError, formatIssues } from './errors.ts'

/** Identity function for type inference in gateway.config.ts (as Vite's defineConfig). */
export function defineConfig(config: GatewayConfigInput): GatewayConfigInput {
  return config
}

export function validateConfig(input: unknown, source = 'config'): GatewayConfig {
  const result = configSchema.safeParse(input)
  const problems = result.success ? [] : formatIssues(result.error.issues)
  if (result.success) {
    const config = result.data
    config.routes.forEach((route, i) => {
      if (!(route.pool in config.pools)) {
        const known = Object.keys(config.pools)
        problems.push(`routes[${i}].pool: no pool named "${route.pool}" (defined: ${known.length ? known.join(', ') : 'none'})`)
      }
    })
    for (const [name, pool] of Object.entries(config.pools)) {
      if (!pool.upstreams && pool.discovery.length === 0) {
        problems.push(`pools.${name}: expected "upstreams" or "discovery" (the pool has no source of upstreams)`)
      }
    }
    if (problems.length === 0) return config
  }
  throw new ConfigError(problems, source)
}
