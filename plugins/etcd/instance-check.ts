/**
 * What keeps `gatehouse register` from outliving its instance, like a Consul check: every
 * interval it asks the instance, by its health URL (any answer below 400 passes) or by its PID.
 * A failing URL withdraws the key until the instance answers again; a PID that is gone ends the
 * registration for good. Without a check, the key stays as long as `register` itself runs.
 */
import { parseDuration } from '../../core/config/duration.ts'
import type { Runtime } from '../../core/runtime/types.ts'

export interface InstanceCheck {
  url?: string
  pid?: number
  intervalMs: number
}

export type InstanceState = 'passing' | 'failing' | 'gone'

/** `--check-url`, `--check-pid`, `--check-interval` (default 5s) → a check, none, or the problem. */
export function planCheck(flags: Record<string, string | undefined>): InstanceCheck | undefined | string {
  const { 'check-url': url, 'check-pid': pidText, 'check-interval': every } = flags
  if (url === undefined && pidText === undefined) return every === undefined ? undefined : '--check-interval needs --check-url or --check-pid'
  if (url !== undefined && (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))) return `--check-url: expected an http(s) URL like http://10.0.0.5:8000/health, got "${url}"`
  const pid = pidText === undefined ? undefined : Number(pidText)
  if (pid !== undefined && (!Number.isInteger(pid) || pid < 1)) return `--check-pid: expected a process id, got "${pidText}"`
  const intervalMs = parseDuration(every ?? '5s')
  if (intervalMs === undefined || intervalMs < 100) return `--check-interval: expected a duration of at least 100ms like "5s", got "${every}"`
  return { ...(url !== undefined && { url }), ...(pid !== undefined && { pid }), intervalMs }
}

/** One probe: the PID first (gone is final), then the URL within half an interval (at most 5 s). */
export async function probeInstance(check: InstanceCheck, runtime: Pick<Runtime, 'processAlive'>): Promise<InstanceState> {
  if (check.pid !== undefined && !runtime.processAlive(check.pid)) return 'gone'
  if (check.url === undefined) return 'passing'
  try {
    const res = await fetch(check.url, { redirect: 'manual', signal: AbortSignal.timeout(Math.min(check.intervalMs / 2, 5_000)) })
    await res.body?.cancel()
    return res.status < 400 ? 'passing' : 'failing'
  } catch {
    return 'failing'
  }
}

/** Probes now and then every interval, reporting each state that differs from the last; returns stop(). */
export function watchInstance(check: InstanceCheck, runtime: Pick<Runtime, 'processAlive'>, onChange: (state: InstanceState) => void): () => void {
  let last: InstanceState | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const tick = async () => {
    const state = await probeInstance(check, runtime)
    if (stopped) return
    if (state !== last) onChange((last = state))
    if (state !== 'gone') timer = setTimeout(tick, check.intervalMs)
  }
  void tick()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
