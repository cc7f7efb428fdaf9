/**
 * The process behind the gateway, read at each scrape through the runtime's `io.processStats()`
 * (core/runtime/io/process-stats.ts): CPU, memory, open descriptors and start time under the
 * names every Prometheus client library uses (`process_*`, so stock dashboards and alerts work),
 * the JavaScript heap, event-loop lag and GC time as `gatehouse_runtime_*`, and
 * `gatehouse_build_info` (value 1, the facts in its labels). A field the runtime does not expose
 * leaves its family empty rather than reading 0.
 */
import type { ProcessStats } from '../../core/plugin/io.ts'
import { GATEHOUSE_VERSION } from '../../core/version.ts'
import { CounterFamily, GaugeFamily } from './families.ts'

export class ProcessMetrics {
  private readonly build = new GaugeFamily('gatehouse_build_info', 'Always 1: the gateway\'s version and the runtime it runs on.', ['version', 'runtime', 'runtime_version'], 1)
  private readonly cpu = new CounterFamily('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.', [], 1)
  private readonly resident = new GaugeFamily('process_resident_memory_bytes', 'Resident memory size in bytes.', [], 1)
  private readonly start = new GaugeFamily('process_start_time_seconds', 'When the process started, seconds since the epoch.', [], 1)
  private readonly fds = new GaugeFamily('process_open_fds', 'Open file descriptors (Linux; not on Deno).', [], 1)
  private readonly heap = new GaugeFamily('gatehouse_runtime_heap_bytes', 'The JavaScript heap: used, and total (allocated).', ['kind'], 2)
  private readonly lag = new GaugeFamily('gatehouse_runtime_event_loop_lag_seconds', 'The longest a timer fired late since the previous scrape: how saturated the event loop is.', [], 1)
  private readonly gc = new CounterFamily('gatehouse_runtime_gc_seconds_total', 'Time spent in garbage collection (Node only).', [], 1)

  constructor(private readonly read: () => ProcessStats) {}

  render(): string {
    const s = this.read()
    const families = [this.build, this.cpu, this.resident, this.start, this.fds, this.heap, this.lag, this.gc]
    for (const f of families) f.clear()
    this.build.set([GATEHOUSE_VERSION, s.runtime.name, s.runtime.version], 1)
    this.cpu.inc([], s.cpuUserSeconds + s.cpuSystemSeconds)
    this.resident.set([], s.residentBytes)
    this.start.set([], s.startTimeSeconds)
    if (s.openFds !== undefined) this.fds.set([], s.openFds)
    this.heap.set(['used'], s.heapUsedBytes)
    this.heap.set(['total'], s.heapTotalBytes)
    this.lag.set([], s.eventLoopLagSeconds)
    if (s.gcSeconds !== undefined) this.gc.inc([], s.gcSeconds)
    return families.map((f) => f.render()).join('')
  }
}
