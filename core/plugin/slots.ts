/** Config slots that hold plugins of one kind (checks in slot-problems.ts; a route's `use` in middleware-slot.ts). */
import { z } from 'zod'
import type { PluginKind } from './contract.ts'
import type { PluginOf } from './kinds.ts'
import type { RouteMiddleware } from './middleware-slot.ts'
import { report, slotProblems } from './slot-problems.ts'

/** One plugin of `kind`. */
export const pluginSlot = <K extends PluginKind>(kind: K) =>
  z.custom<PluginOf<K>>(() => true).superRefine((v, ctx) => report(ctx, slotProblems(kind, v)))

export type { RouteMiddleware } from './middleware-slot.ts'

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
