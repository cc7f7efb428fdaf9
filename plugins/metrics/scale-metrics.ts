/**
 * Metrics of pools that scale (core/scale/): wakes and how long they took, scale actions, the
 * pool's state and replicas (read from the gateway view at each scrape, like the admin API), and
 * the requests that waited for a wake or were refused. A scale event's reason is free text, so
 * actions are counted by their fixed name and a bounded outcome, never by reason.
 */
import type { RequestRecord, ScaleEvent } from '../../core/gateway/events.ts'
import type { GatewayView, PoolView } from '../../core/types.ts'
import { CounterFamily, GaugeFamily, HistogramFamily } from './families.ts'

/** Seconds: a process starts in tens of ms, a container in seconds, a cold image pull in a minute or two. */
const WAKE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]
const STATES: readonly NonNullable<PoolView['scale']>['state'][] = ['asleep', 'waking', 'awake']

export class ScaleMetrics {
  readonly wakes: CounterFamily
  readonly wakeDuration: HistogramFamily
  readonly actions: CounterFamily
  readonly woken: CounterFamily
  readonly wakeWait: HistogramFamily
  readonly refused: CounterFamily
  private readonly state: GaugeFamily
  private readonly replicas: GaugeFamily

  constructor(maxSeries: number) {
    const pool = ['pool']
    this.wakes = new CounterFamily('gatehouse_pool_wakes_total', 'Wakes of a pool that scaled to zero (its engine was asked to start replicas).', pool, maxSeries)
    this.wakeDuration = new HistogramFamily('gatehouse_pool_wake_duration_seconds', 'Time from the start of a wake to the first replica answering its readiness probe.', pool, maxSeries, WAKE_BUCKETS)
    this.actions = new CounterFamily('gatehouse_pool_scale_actions_total', 'Scale actions and wake outcomes, by action (wake, ready, wake-failed, pause, sleep, out, in) and whether the engine failed it.', ['pool', 'action', 'outcome'], maxSeries)
    this.woken = new CounterFamily('gatehouse_requests_woken_total', 'Requests that waited for their pool to wake, then went on.', pool, maxSeries)
    this.wakeWait = new HistogramFamily('gatehouse_request_wake_wait_seconds', 'Time a request waited for its pool to wake.', pool, maxSeries, WAKE_BUCKETS)
    this.refused = new CounterFamily('gatehouse_pool_refused_total', 'Requests a scaling pool answered 503 itself, by reason (asleep, wake-timeout, queue-full, wake-failed).', ['pool', 'reason'], maxSeries)
    this.state = new GaugeFamily('gatehouse_pool_state', 'A scaling pool\'s state: 1 for the current one (asleep, waking, awake), 0 for the others.', ['pool', 'state'], maxSeries)
    this.replicas = new GaugeFamily('gatehouse_pool_replicas', 'A scaling pool\'s replicas as its engine counts them: running, or asleep (stopped or paused, can be woken).', ['pool', 'kind'], maxSeries)
  }

  scale(e: ScaleEvent): void {
    this.actions.inc([e.pool, e.action, e.error === undefined ? 'ok' : 'error'])
    if (e.action === 'wake') this.wakes.inc([e.pool])
    else if (e.action === 'ready' && e.ms !== undefined) this.wakeDuration.observe([e.pool], e.ms / 1000)
  }

  /** Most records neither waited nor were refused: two field checks. */
  request(r: RequestRecord): void {
    if (r.pool === undefined) return
    if (r.wakeMs !== undefined) {
      this.woken.inc([r.pool])
      this.wakeWait.observe([r.pool], r.wakeMs / 1000)
    }
    if (r.refused) this.refused.inc([r.pool, r.refused])
  }

  render(view: GatewayView): string {
    this.state.clear()
    this.replicas.clear()
    for (const p of view.pools()) {
      if (!p.scale) continue
      for (const s of STATES) this.state.set([p.name, s], +(p.scale.state === s))
      this.replicas.set([p.name, 'running'], p.scale.running)
      this.replicas.set([p.name, 'asleep'], p.scale.asleep)
    }
    return [this.state, this.replicas, this.wakes, this.wakeDuration, this.actions, this.woken, this.wakeWait, this.refused].map((f) => f.render()).join('')
  }
}
