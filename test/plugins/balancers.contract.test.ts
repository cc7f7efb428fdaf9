/** The contract every balancer honours (DESIGN.md §7): one suite, run for each factory. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Balancer, UpstreamState } from '../../core/types.ts'
import { hash } from '../../plugins/hash/index.ts'
import { leastConn } from '../../plugins/least-conn/index.ts'
import { p2c, powerOfTwoChoices } from '../../plugins/p2c/index.ts'
import { random } from '../../plugins/random/index.ts'
import { roundRobin } from '../../plugins/round-robin/index.ts'
import { weightedRoundRobin } from '../../plugins/weighted-round-robin/index.ts'
import { mulberry32 } from '../support/prng.ts'
import { keyedContext, upstream, upstreams, upstreamsWithWeights } from '../support/upstreams.ts'

const factories: Array<[label: string, make: (rand: () => number) => Balancer]> = [
  ['random', (rand) => random({ random: rand })],
  ['roundRobin', () => roundRobin()],
  ['weightedRoundRobin', () => weightedRoundRobin()],
  ['leastConn', (rand) => leastConn({ random: rand })],
  ['powerOfTwoChoices', (rand) => powerOfTwoChoices({ random: rand })],
  ['p2c', (rand) => p2c({ random: rand })],
  ['hash on client-ip', (rand) => hash({ on: 'client-ip', random: rand })],
  ['hash on header', (rand) => hash({ on: { header: 'X-Key' }, random: rand })],
  ['hash on cookie', (rand) => hash({ on: { cookie: 'k' }, random: rand })],
  ['hash, key missing → round-robin fallback', () => hash({ on: { header: 'x-absent' } })],
  ['hash, key missing → random fallback', (rand) => hash({ on: { cookie: 'absent' }, fallback: 'random', random: rand })],
]

/** Picks `times` times with distinct request keys; asserts each result is one of `candidates`. */
function pickMany(b: Balancer, candidates: readonly UpstreamState[], times: number, from = 0): Set<UpstreamState> {
  const seen = new Set<UpstreamState>()
  for (let n = from; n < from + times; n++) {
    const chosen = b.pick(candidates, keyedContext(n))
    assert.ok(chosen !== undefined, `pick #${n} returned undefined for ${candidates.length} candidates`)
    assert.ok(candidates.includes(chosen), `pick #${n} returned ${chosen.id}, not one of the candidates (by identity)`)
    seen.add(chosen)
  }
  return seen
}

function assertAllPicked(seen: Set<UpstreamState>, candidates: readonly UpstreamState[]): void {
  const missing = candidates.filter((c) => !seen.has(c)).map((c) => c.id)
  assert.deepEqual(missing, [], `never picked: ${missing.join(', ')}`)
}

for (const [label, make] of factories) {
  describe(`balancer contract: ${label}`, () => {
    it('has a name', () => {
      const b = make(mulberry32(1))
      assert.equal(typeof b.name, 'string')
      assert.ok(b.name.length > 0)
    })

    it('returns undefined for no candidates', () => {
      const b = make(mulberry32(2))
      for (let n = 0; n < 5; n++) assert.equal(b.pick([], keyedContext(n)), undefined)
    })

    it('returns the only candidate', () => {
      const b = make(mulberry32(3))
      const only = Object.freeze([upstream('only', { inflight: 7 })])
      for (let n = 0; n < 20; n++) assert.equal(b.pick(only, keyedContext(n)), only[0])
    })

    it('returns one of the candidates, and every candidate over many distinct requests', () => {
      const b = make(mulberry32(4))
      const candidates = Object.freeze(upstreams('a', 'b', 'c', 'd', 'e'))
      assertAllPicked(pickMany(b, candidates, 500), candidates)
    })

    it('handles weights 1..N without throwing, still picking every candidate', () => {
      const b = make(mulberry32(5))
      const candidates = Object.freeze(upstreamsWithWeights({ w1: 1, w2: 2, w3: 3, w4: 4, w5: 5, w6: 6, w7: 7, w8: 8 }))
      assertAllPicked(pickMany(b, candidates, 2000), candidates)
    })

    it('handles unequal load without losing anyone once loads even out', () => {
      const b = make(mulberry32(6))
      const candidates = upstreams('a', 'b', 'c')
      candidates[0]!.inflight = 50
      pickMany(b, candidates, 300) // every result must still be a candidate
      candidates[0]!.inflight = 0
      assertAllPicked(pickMany(b, candidates, 300, 300), candidates)
    })

    it('follows the candidate array when it grows and shrinks between picks', () => {
      const b = make(mulberry32(7))
      const [a, bb, c, d, e, f] = upstreams('a', 'b', 'c', 'd', 'e', 'f')
      const phases: UpstreamState[][] = [
        [a!, bb!, c!],
        [a!, bb!, c!, d!, e!, f!], // grow
        [bb!, e!], // shrink, dropping the first
        [f!, d!, a!, c!], // new order, returning members
        [c!], // down to one
        [e!, a!], // and back up
      ]
      let n = 0
      for (const phase of phases) {
        const candidates = Object.freeze([...phase])
        const seen = pickMany(b, candidates, 300, n)
        n += 300
        assertAllPicked(seen, candidates)
        // Interleave a few picks on a brand-new array of the same members (a re-listed snapshot).
        pickMany(b, Object.freeze([...phase]), 5, n)
        n += 5
      }
    })
  })
}
