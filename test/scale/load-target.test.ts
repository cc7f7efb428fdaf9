/** The pure scale-with-load decision (core/scale/load-target.ts), as a table. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadDecision, type LoadSample } from '../../core/scale/load-target.ts'

const policy = { target: 10, min: 1, max: 5, window: 10_000, calm: 60_000 }
const series = (from: number, to: number, every: number, inflight: number, ready: number): LoadSample[] => {
  const out: LoadSample[] = []
  for (let at = from; at <= to; at += every) out.push({ at, inflight, ready })
  return out
}

test('out only after a whole window above target; to what the load needs, capped at max', () => {
  const now = 100_000
  assert.equal(loadDecision(series(now - 5_000, now, 250, 40, 1), 1, now, policy), undefined, 'half a window of history is not enough')
  assert.deepEqual(loadDecision(series(now - 10_000, now, 250, 40, 1), 1, now, policy)?.replicas, 4)
  assert.deepEqual(loadDecision(series(now - 10_000, now, 250, 400, 1), 1, now, policy)?.replicas, 5)
  assert.equal(loadDecision(series(now - 10_000, now, 250, 40, 4), 4, now, policy), undefined, '10 per replica is at target, not above')
  assert.equal(loadDecision(series(now - 10_000, now, 250, 40, 1), 5, now, policy), undefined, 'at max')
  // A burst inside the window: the mean stays under target.
  const burst = [...series(now - 10_000, now - 1_000, 250, 2, 1), ...series(now - 750, now, 250, 50, 1)]
  assert.equal(loadDecision(burst, 1, now, policy), undefined)
})

test('in only after `calm` below half the target; never below max(min, 1); never 0 here', () => {
  const now = 200_000
  assert.equal(loadDecision(series(now - 30_000, now, 1000, 2, 4), 4, now, policy), undefined, 'too short')
  assert.equal(loadDecision(series(now - 60_000, now, 1000, 12, 4), 4, now, policy)?.replicas, 2)
  assert.equal(loadDecision(series(now - 60_000, now, 1000, 0, 4), 4, now, policy)?.replicas, 1)
  assert.equal(loadDecision(series(now - 60_000, now, 1000, 0, 1), 1, now, { ...policy, min: 0 }), undefined, 'the last replica goes only by the idle rule')
  assert.equal(loadDecision(series(now - 60_000, now, 1000, 24, 4), 4, now, policy), undefined, '6 per replica is above half the target: stays')
})
