/**
 * Docker's events, reduced to what changes a Swarm pool. Pure.
 *
 * There are no task events. A `service` event says its spec changed (scale, update, create,
 * remove) and a `node` event that a node came, went or changed; both ask for a re-list, then for
 * re-reads while Swarm converges. Containers of tasks on this daemon's node carry the task's id in
 * their labels, so their events are news about one task: `start` and `health_status` (re-list:
 * Swarm reports a task running once its container started and, with a HEALTHCHECK, is healthy),
 * and a stop signal (`kill`), `die`, `stop` or `destroy`, which take it out at once, like the
 * Docker plugin does for a container. A `kill` with another signal (a reload's HUP) does not.
 */

/** The actions subscribed to (Docker's `event` filter, across the three types; `health_status` matches every status). */
export const WATCHED_ACTIONS = ['create', 'update', 'remove', 'start', 'health_status', 'kill', 'die', 'stop', 'destroy'] as const
export const WATCHED_TYPES = ['service', 'node', 'container'] as const

export type SwarmEvent =
  | { kind: 'service'; id: string; name: string }
  | { kind: 'node'; id: string }
  | { kind: 'task'; taskId: string; serviceId: string; action: 'start' | 'health' }
  | { kind: 'task'; taskId: string; serviceId: string; action: 'kill'; signal: string }
  | { kind: 'task'; taskId: string; serviceId: string; action: 'gone' }

/** One JSON object of the event stream → an event, or undefined when it does not matter here. */
export function parseEvent(raw: unknown): SwarmEvent | undefined {
  if (!raw || typeof raw !== 'object') return undefined
  const e = raw as { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } }
  const id = e.Actor?.ID
  const attrs = e.Actor?.Attributes ?? {}
  const action = (e.Action ?? '').trim()
  if (!id || !action) return undefined
  if (e.Type === 'service') return { kind: 'service', id, name: attrs.name ?? '' }
  if (e.Type === 'node') return { kind: 'node', id }
  if (e.Type !== 'container') return undefined
  const taskId = attrs['com.docker.swarm.task.id']
  const serviceId = attrs['com.docker.swarm.service.id']
  if (!taskId || !serviceId) return undefined // not a Swarm task's container
  if (action === 'start') return { kind: 'task', taskId, serviceId, action }
  if (action.startsWith('health_status')) return { kind: 'task', taskId, serviceId, action: 'health' }
  if (action === 'kill') return { kind: 'task', taskId, serviceId, action, signal: attrs.signal ?? '' }
  if (action === 'die' || action === 'stop' || action === 'destroy') return { kind: 'task', taskId, serviceId, action: 'gone' }
  return undefined
}

// Linux numbering, which Docker uses in `kill` events ("15") and accepts in --stop-signal ("SIGTERM", "TERM", "15").
const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13,
  ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24,
  XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
}
const ENDING = [SIGNALS.TERM, SIGNALS.INT, SIGNALS.QUIT, SIGNALS.KILL]

function signalNumber(signal: string): number | undefined {
  const s = signal.trim().toUpperCase()
  if (/^\d+$/.test(s)) return Number(s)
  return SIGNALS[s.replace(/^SIG/, '')]
}

/** Whether a `kill` with `signal` means the task's container is going away (its service's stop signal, or TERM/INT/QUIT/KILL). */
export function isStopSignal(signal: string, stopSignal = 'SIGTERM'): boolean {
  const n = signalNumber(signal)
  if (n === undefined) return true // unknown (Docker sends numbers): assume the worst
  return ENDING.includes(n) || n === signalNumber(stopSignal)
}
