/**
 * One version's measurements since the current step began: requests, errors (5xx answers and
 * transport failures) and latencies to the response head. Latencies are a bounded uniform sample
 * (reservoir sampling), so a long step at high load costs constant memory; p99 is computed only
 * when the analysis asks, never on the request path.
 */
const SAMPLE_MAX = 4096

export class MeasureWindow {
  requests = 0
  errors = 0
  private readonly sample: number[] = []

  constructor(private readonly random: () => number = Math.random) {}

  add(error: boolean, ms: number): void {
    this.requests++
    if (error) this.errors++
    if (this.sample.length < SAMPLE_MAX) this.sample.push(ms)
    else {
      const slot = Math.floor(this.random() * this.requests)
      if (slot < SAMPLE_MAX) this.sample[slot] = ms
    }
  }

  get errorRate(): number {
    return this.requests ? this.errors / this.requests : 0
  }

  /** The 99th percentile latency in ms (0 without requests). */
  p99(): number {
    if (!this.sample.length) return 0
    const sorted = [...this.sample].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!
  }
}
