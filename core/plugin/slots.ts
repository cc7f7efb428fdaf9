/**
 * The config's plugin slots (`balancer`, `discovery`, `observe`, `use` …) check what they hold by
 * kind, and collect the problems each factory found in its options, so one `gatehouse check`
 * names every bad field of the whole config:
 *
 *   observe[0]: expected an observer plugin (metrics(), accessLog(), admin() …), got a discovery plugin (docker)
 *   routes[0].use[1]: jwt(): audience: expected …
 */
import { z } from 'zod'
import type { GatewayMiddleware } from '../types.ts'
import type { PluginKind } from './contract.ts'
import { isPluginKind, KINDS, type PluginOf } from './kinds.ts'

type Issue = { path: PropertyKey[]; message: string }

/** What a slot of `kind` finds wrong with `value`: its kind, else its options' problems. */
export function slotProblems(kind: PluginKind, value: unknown, allowFunction = false): Issue[] {
  if (allowFunction && typeof value === 'function') return []
  const plugin = value as { kind?: unknown; name?: unknown; problems?: unknown }
  if (typeof value !== 'object' || value === null || plugin.kind !== kind) {
    return [{ path: [], message: `expected ${KINDS[kind].noun} (${KINDS[kind].examples}), got ${describe(value)}` }]
  }
  const problems = Array.isArray(plugin.problems) ? plugin.problems : []
  return problems.map((p) => ({ path: [], message: `${String(plugin.name)}(): ${String(p)}` }))
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'function') return 'a function'
  if (typeof v !== 'object') return `${typeof v === 'string' ? 'the string' : `a ${typeof v}`} ${JSON.stringify(v)}`
  const { kind, name } = v as { kind?: unknown; name?: unknown }
  const named = typeof name === 'string' ? ` (${name})` : ''
  if (isPluginKind(kind)) return `${KINDS[kind].noun}${named}`
  return `an object without a plugin kind${named} (a plugin from an older contract? see WRITE-A-PLUGIN.md)`
}

const report = (ctx: z.RefinementCtx, issues: Issue[], at: PropertyKey[] = []) => {
  for (const i of issues) ctx.addIssue({ code: 'custom', path: [...at, ...i.path], message: i.message })
}

/** One plugin of `kind`. */
export const pluginSlot = <K extends PluginKind>(kind: K) =>
  z.custom<PluginOf<K>>(() => true).superRefine((v, ctx) => report(ctx, slotProblems(kind, v)))

/** A route's middleware: a MiddlewarePlugin or a plain Hono handler `(c, next) => …`. */
export type RouteMiddleware = PluginOf<'middleware'> | GatewayMiddleware

/** Falsy entries are allowed and dropped (`cond && plugin()`), as in Vite. */
type Entry<K extends PluginKind> = (K extends 'middleware' ? RouteMiddleware : PluginOf<K>) | false | null | undefined

/** A list of plugins of `kind` (`observe`, `discovery`, `use`); middleware lists also take functions. */
export const pluginList = <K extends PluginKind>(kind: K) =>
  z
    .array(z.custom<Entry<K>>(() => true))
    .superRefine((list, ctx) => list.forEach((v, i) => v && report(ctx, slotProblems(kind, v, kind === 'middleware'), [i])))
    .transform((list) => list.filter((x): x is Exclude<Entry<K>, false | null | undefined> => Boolean(x)))

/** One plugin or a list of them (a pool's `discovery`), always a list once parsed. */
export const pluginOneOrList = <K extends PluginKind>(kind: K) =>
  z
    .custom<PluginOf<K> | Entry<K>[]>(() => true)
    .superRefine((v, ctx) => {
      if (!Array.isArray(v)) return report(ctx, slotProblems(kind, v))
      v.forEach((item, i) => item && report(ctx, slotProblems(kind, item), [i]))
    })
    .transform((v) => (Array.isArray(v) ? v : [v]).filter((x): x is PluginOf<K> => Boolean(x)))
