/**
 * Plugins that run (discovery sources, active health checks, observers), each with its own abort
 * signal. A reload keeps a run whose slot still holds the same plugin (kind, name and options,
 * compared as JSON: options holding functions compare by the rest), stops the others through
 * their signal and starts the new ones.
 */
import type { PluginBase, PluginKind } from '../plugin/contract.ts'

export interface WantedRun<T> {
  /** Where it sits in the config (`discovery[0]`, `pools.web.health`): part of its identity. */
  slot: string
  plugin: PluginBase<PluginKind>
  start(signal: AbortSignal): Promise<T> | T
}

export interface RunsChange {
  kept: string[]
  started: string[]
  stopped: string[]
}

export class PluginRuns<T> {
  private runs = new Map<string, { slot: string; stop: AbortController; value: T }>()

  /**
   * Stops runs no longer wanted (`onStop` after each abort), then starts the new ones, all at
   * once; a start that throws is reported to `onError` and leaves that slot empty.
   */
  async sync(wanted: readonly WantedRun<T>[], hooks: { onStop?(slot: string): void; onError(slot: string, err: unknown): void }): Promise<RunsChange> {
    const next = new Map<string, WantedRun<T>>()
    for (const w of wanted) next.set(runKey(w.slot, w.plugin), w)
    const change: RunsChange = { kept: [], started: [], stopped: [] }
    for (const [key, run] of this.runs) {
      if (next.has(key)) continue
      run.stop.abort()
      this.runs.delete(key)
      change.stopped.push(run.slot)
      hooks.onStop?.(run.slot)
    }
    await Promise.all(
      [...next].map(async ([key, w]) => {
        if (this.runs.has(key)) return void change.kept.push(w.slot)
        const stop = new AbortController()
        try {
          this.runs.set(key, { slot: w.slot, stop, value: await w.start(stop.signal) })
          change.started.push(w.slot)
        } catch (err) {
          stop.abort()
          hooks.onError(w.slot, err)
        }
      }),
    )
    return change
  }

  /** Each running plugin's slot and what its start returned. */
  values(): [string, T][] {
    return [...this.runs.values()].map((r) => [r.slot, r.value])
  }

  stopAll(): void {
    for (const run of this.runs.values()) run.stop.abort()
    this.runs.clear()
  }
}

/** A run's identity: its slot, kind, name and options as JSON (unserializable options: never equal). */
export function runKey(slot: string, plugin: PluginBase<PluginKind>): string {
  let options: string
  try {
    options = JSON.stringify(plugin.options) ?? ''
  } catch {
    options = `unserializable ${Math.random()}`
  }
  return `${slot}\0${plugin.kind}\0${plugin.name}\0${options}`
}
