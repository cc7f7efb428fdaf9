/**
 * Metrics of pools with a release policy (core/release/): decisions counted from `release` events
 * as they happen; weights, the canary's step and each version's window figures read from the
 * gateway view at each scrape, so they never disagree with the admin API.
 */
import type { ReleaseEvent } from '../../core/gateway/events.ts'
import type { GatewayView } from '../../core/types.ts'
import { CounterFamily, GaugeFamily } from './families.ts'

export class ReleaseMetrics {
  private readonly decisions: CounterFamily
  private readonly weight: GaugeFamily
  private readonly step: GaugeFamily
  private readonly requests: GaugeFamily
  private readonly errorRatio: GaugeFamily
  private readonly p99: GaugeFamily

  constructor(maxSeries: number) {
    const v = ['pool', 'version']
    this.decisions = new CounterFamily('gatehouse_release_decisions_total', 'Release decisions: stable, start, step, promote, rollback, switch, and operator actions.', ['pool', 'action'], maxSeries)
    this.weight = new GaugeFamily('gatehouse_release_weight_percent', 'Share of new requests each version takes.', v, maxSeries)
    this.step = new GaugeFamily('gatehouse_release_canary_step', 'The canary\'s step, from 1 (0: no canary under way).', ['pool'], maxSeries)
    this.requests = new GaugeFamily('gatehouse_release_window_requests', 'Requests each version answered in the current analysis window.', v, maxSeries)
    this.errorRatio = new GaugeFamily('gatehouse_release_window_error_ratio', 'Share of 5xx answers and transport failures in the current window.', v, maxSeries)
    this.p99 = new GaugeFamily('gatehouse_release_window_p99_seconds', 'p99 time to the response head in the current window.', v, maxSeries)
  }

  decision(e: ReleaseEvent): void {
    this.decisions.inc([e.pool, e.action])
  }

  render(view: GatewayView): string {
    const gauges = [this.weight, this.step, this.requests, this.errorRatio, this.p99]
    for (const g of gauges) g.clear()
    for (const pool of view.pools()) {
      const r = pool.release
      if (!r) continue
      this.step.set([pool.name], r.step === undefined ? 0 : r.step + 1)
      for (const v of r.versions) {
        const labels = [pool.name, v.name]
        this.weight.set(labels, v.weight)
        this.requests.set(labels, v.requests)
        this.errorRatio.set(labels, v.errorRate)
        this.p99.set(labels, v.p99Ms / 1000)
      }
    }
    return [...gauges, this.decisions].map((f) => f.render()).join('')
  }
}
