/**
 * The one public plugin contract (HOUSE.md, seam 1). Every plugin object says what it is (`kind`),
 * who made it (`name`, its factory's name as users write it), with what (`options`), and what was
 * wrong with those options (`problems`: a factory never throws, so one `gatehouse check` lists
 * every bad field of the whole config). Plugins that run get a `PluginContext` when the gateway
 * starts them: the gateway's logger, an abort signal and the runtime's I/O, so a plugin imports
 * no runtime (as Hono injects runtime functions).
 */
import type { GatewayMiddleware } from '../gateway-env.ts'
import type { Logger } from '../logger.ts'
import type { PluginIO } from './io.ts'

export type PluginKind = 'balancer' | 'discovery' | 'health' | 'outlier' | 'observer' | 'middleware' | 'certificates' | 'coordination'

/** What every plugin object carries. */
export interface PluginBase<K extends PluginKind> {
  readonly kind: K
  /** Its factory's name as users write it: 'jwt', 'docker', 'roundRobin' … (used in errors and logs). */
  readonly name: string
  /** The options it was made with, as given (used to tell whether a reloaded config changed it). */
  readonly options?: unknown
  /** Problems with its options, found by its factory (which never throws): the config that holds it is invalid. */
  readonly problems?: readonly string[]
}

/** Given to a plugin when the gateway starts it (Hono-style injection: plugins import no runtime). */
export interface PluginContext {
  /** The gateway's logger (so --log json applies), prefixed with the plugin's name. */
  readonly log: Logger
  /** Aborted when the plugin must stop (gateway stop, or a reload that replaced it). */
  readonly signal: AbortSignal
  /** The I/O the runtime offers plugins: serve, HTTP client for health checks, files, DNS, unix-socket HTTP … */
  readonly io: PluginIO
}

/**
 * Middleware in a route's `use: [...]`. The gateway calls `setup` once per plugin object when it
 * builds the route table (cached by identity: state such as rate-limit buckets survives rebuilds)
 * and runs the handler it returns. A route's `use` also takes a plain `(c, next) => …` function.
 */
export interface MiddlewarePlugin extends PluginBase<'middleware'> {
  /** Set by access guards (auth, IP filters): the guard's name, for the open-door warning. */
  readonly guards?: string
  setup(ctx: PluginContext): GatewayMiddleware
}
