/** A scaling pool as observers see it (core/scale/pool-scale.ts): types only, a leaf module. */
export type ScaleState = 'asleep' | 'waking' | 'awake'

/** What the admin API and dashboard show of a scaling pool. */
export interface PoolScaleView {
  state: ScaleState
  running: number
  asleep: number
  min: number
  max: number
  /** A scale action under way, by reason. */
  acting?: string
}
