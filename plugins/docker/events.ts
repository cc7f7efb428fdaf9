/**
 * Docker's container events, reduced to what changes a pool. Pure.
 *
 * Why `kill` and not `die`: `docker stop` (and every rolling deploy) first sends the stop signal
 * (`kill` event), then waits up to its timeout for the process to exit (`die`, then `stop`). A
 * proxy that waits for `die` keeps sending new requests to a container that is shutting down
 * (Traefik's dropped requests during deploys). So a `kill` with the container's stop signal, or
 * with TERM/INT/QUIT/KILL, takes it out at once; a `kill -s HUP/USR1/…` (a reload) does not.
 */
import type { HealthStatus } from './facts.ts'

/** The actions the plugin subscribes to (Docker's `event` filter; `health_status` matches every status). */
export const WATCHED_ACTIONS = ['create', 'start', 'unpause', 'pause', 'kill', 'die', 'stop', 'destroy', 'health_status', 'rename'] as const

export type ContainerEvent =
  | { id: string; at: number; action: 'create' | 'start' | 'unpause' | 'pause' | 'die' | 'stop' | 'destroy' | 'rename' }
  | { id: string; at: number; action: 'kill'; signal: string }
  | { id: string; at: number; action: 'health'; health: HealthStatus | undefined }

/** One JSON object of the event stream → an event, or undefined when it does not matter here. */
export function parseEvent(raw: unknown): ContainerEvent | undefined {
  if (!raw || typeof raw !== 'object') return undefined
  const e = raw as { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; time?: number; timeNano?: number }
  if ((e.Type ?? 'container') !== 'container') return undefined
  const id = e.Actor?.ID ?? e.id
  const action = (e.Action ?? e.status ?? '').trim()
  if (!id || !action) return undefined
  const at = e.timeNano ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000
  if (action.startsWith('health_status')) {
    const status = action.slice(action.indexOf(':') + 1).trim()
    const health = status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : undefined
    return { id, at, action: 'health', health }
  }
  if (action === 'kill') return { id, at, action, signal: e.Actor?.Attributes?.signal ?? '' }
  if (action === 'create' || action === 'start' || action === 'unpause' || action === 'pause' || action === 'die' || action === 'stop' || action === 'destroy' || action === 'rename') return { id, at, action }
  return undefined
}

// Linux numbering, which Docker uses in `kill` events ("15") and accepts in STOPSIGNAL ("SIGTERM", "TERM", "15").
const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13,
  ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24,
  XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
}
const ENDING = [SIGNALS.TERM, SIGNALS.INT, SIGNALS.QUIT, SIGNALS.KILL]

export function signalNumber(signal: string): number | undefined {
  const s = signal.trim().toUpperCase()
  if (/^\d+$/.test(s)) return Number(s)
  return SIGNALS[s.replace(/^SIG/, '')]
}

/** Whether a `kill` with `signal` means the container is going away (see the module doc). */
export function isStopSignal(signal: string, stopSignal = 'SIGTERM'): boolean {
  const n = signalNumber(signal)
  if (n === undefined) return true // unknown: assume the worst, the next start brings it back
  return ENDING.includes(n) || n === signalNumber(stopSignal)
}
