/** Validates a whole config: the schema, plus the rules that span fields (routes name existing pools). */
import { configSchema, type GatewayConfig, type GatewayConfigInput } from './schema.ts'
import { ConfigError, formatIssues } from './errors.ts'

/** Identity function for type inference in gateway.config.ts (as Vite's defineConfig). */
export function defineConfig(config: GatewayConfigInput): GatewayConfigInput {
  return config
}

export function validateConfig(input: unknown, source = 'config'): GatewayConfig {
  const result = configSchema.safeParse(input)
  // Cross-field rules read the raw input, so they are reported even when some field is wrong too.
  const problems = [...(result.success ? [] : formatIssues(result.error.issues)), ...crossFieldProblems(input)]
  if (result.success && problems.length === 0) return result.data
  throw new ConfigError(problems, source)
}

function crossFieldProblems(input: unknown): string[] {
  const problems: string[] = []
  const config = (isObject(input) ? input : {}) as { pools?: unknown; routes?: unknown; discovery?: unknown; workers?: unknown; listen?: unknown; observe?: unknown }
  problems.push(...workerProblems(config))
  // With top-level discovery, pools may appear at run time: a route may name one not defined here.
  const poolsMayBeDiscovered = Array.isArray(config.discovery) && config.discovery.some(Boolean)
  const pools = isObject(config.pools) ? config.pools : {}
  const names = Object.keys(pools)
  for (const [name, pool] of Object.entries(pools)) {
    if (isObject(pool) && pool.upstreams === undefined && (pool.discovery === undefined || (Array.isArray(pool.discovery) && !pool.discovery.some(Boolean)))) {
      problems.push(`pools.${name}: expected "upstreams" or "discovery" (the pool has no source of upstreams)`)
    }
  }
  if (Array.isArray(config.routes)) {
    config.routes.forEach((route, i) => {
      if (!poolsMayBeDiscovered && isObject(route) && typeof route.pool === 'string' && route.pool && !names.includes(route.pool)) {
        problems.push(`routes[${i}].pool: no pool named "${route.pool}" (defined: ${names.length ? names.join(', ') : 'none'})`)
      }
    })
  }
  return problems
}

/** Worker processes serve from the primary's feed; what needs the primary on the request path (or certificates in each worker) is not fed yet. */
function workerProblems(config: { pools?: unknown; workers?: unknown; listen?: unknown; observe?: unknown }): string[] {
  if (typeof config.workers !== 'number' || config.workers <= 1) return []
  const problems: string[] = []
  const why = `workers: ${config.workers} cannot be combined with`
  if (isObject(config.listen) && config.listen.tls) problems.push(`${why} listen.tls yet (certificates are not shared with workers); use workers: 1`)
  const observers = Array.isArray(config.observe) ? config.observe : []
  observers.forEach((o, i) => {
    if (isObject(o) && o.name === 'tracing') problems.push(`${why} observe[${i}] tracing() yet (spans are made where requests are served, and it runs in the primary); use workers: 1`)
  })
  for (const [name, pool] of Object.entries(isObject(config.pools) ? config.pools : {})) {
    if (!isObject(pool)) continue
    if (pool.scale) problems.push(`${why} pools.${name}.scale yet (waking needs the primary on the request path); use workers: 1`)
    if (pool.release) problems.push(`${why} pools.${name}.release yet (release weights live in the primary); use workers: 1`)
  }
  return problems
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
