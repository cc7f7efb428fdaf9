/**
 * The config's plugin slots (`balancer`, `discovery`, `observe`, `use` …) check what they hold by
 * kind, and collect the problems each factory found in its options, so one `gatehouse check`
 * names every bad field of the whole config:
 *
 *   observe[0]: expected an observer plugin (metrics(), accessLog(), tracing(), admin() …), got a discovery plugin (docker)
 *   routes[0].use[1]: jwt(): audience: expected …
 */
import { z } from 'zod'
import type { PluginKind } from './contract.ts'
import { isPluginKind, KINDS } from './kind-names.ts'

export type Issue = { path: PropertyKey[]; message: string }

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

export const report = (ctx: z.RefinementCtx, issues: Issue[], at: PropertyKey[] = []) => {
  for (const i of issues) ctx.addIssue({ code: 'custom', path: [...at, ...i.path], message: i.message })
}
