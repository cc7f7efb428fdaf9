/**
 * `gatehouse.port` may use Swarm's task template, like `--env PORT=180{{.Task.Slot}}`, so that a
 * host-network service whose tasks each bind their own port can say which: `180{{.Task.Slot}}` is
 * 1801 for slot 1, 1802 for slot 2. Swarm evaluates the env var in each container; the plugin
 * evaluates the label per task the same way. Only `{{.Task.Slot}}` can make a port (in a global
 * service Swarm puts the node id there, which is no port: such tasks are skipped with a reason).
 */

const SLOT = /\{\{\s*\.Task\.Slot\s*\}\}/g
const ANY_ACTION = /\{\{[\s\S]*?\}\}/

const isPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535

/** Why `text` can never be a port, or undefined when it can (for some slot, when templated). */
export function portTemplateProblem(text: string): string | undefined {
  const templated = text.replace(SLOT, '') !== text
  if (ANY_ACTION.test(text.replace(SLOT, ''))) return `"${text}": only {{.Task.Slot}} can be used in a port`
  const first = text.replace(SLOT, '1')
  if (!/^\d+$/.test(first) || !isPort(Number(first))) return templated ? `"${text}" is not a port for slot 1 (${first})` : `"${text}" is not a port (1-65535)`
  return undefined
}

/** The port of the task in `slot` (Swarm's `.Task.Slot`: the slot number, or the node id in global mode). */
export function portFor(template: string, slot: string): { ok: true; port: number } | { ok: false; reason: string } {
  const text = template.replace(SLOT, slot)
  const port = /^\d+$/.test(text) ? Number(text) : NaN
  if (isPort(port)) return { ok: true, port }
  return { ok: false, reason: `port "${template}" gives "${text}" for this task (.Task.Slot = ${slot}), not a port (1-65535)` }
}
