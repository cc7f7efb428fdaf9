/** What each balancer actually does: sequences, shares and key affinity, with injected randomness. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { ConfigError } from '../../core/config/errors.ts'
import type { Balancer, UpstreamState } from '../../core/types.ts'
import { hash32 } from '../../plugins/hash/hash32.ts'
import { hash } from '../../plugins/hash/index.ts'
import { leastConn } from '../../plugins/least-conn/index.ts'
import { powerOfTwoChoices } from '../../plugins/p2c/index.ts'
import { random } from '../../plugins/random/index.ts'
import { roundRobin } from '../../plugins/round-robin/index.ts'
import { weightedRoundRobin } from '../../plugins/weighted-round-robin/index.ts'
import { mulberry32, sequence } from '../support/prng.ts'
import { context, tally, upstream, upstreams, upstreamsWithWeights } from '../support/upstreams.ts'

const noKey = context()

/** Ids of `times` consecutive picks from the same candidates. */
function run(b: Balancer, candidates: readonly UpstreamState[], times: number): string[] {
  return Array.from({ length: times }, () => b.pick(candidates, noKey)?.id ?? '(none)')
}

function counts(b: Balancer, candidates: readonly UpstreamState[], times: number): Record<string, number> {
  return Object.fromEntries(tally(Array.from({ length: times }, () => b.pick(candidates, noKey))))
}

function countIds(ids: readonly string[]): Record<string, number> {
  const c: Record<string, number> = {}
  for (const id of ids) c[id] = (c[id] ?? 0) + 1
  return c
}

function assertNear(actual: number | undefined, expected: number, tolerance: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} not within ${expected} ± ${tolerance}`)
}

describe('random', () => {
  it('spreads uniformly: each of 3 within ±5% of its share over 30k seeded picks', () => {
    const c = counts(random({ random: mulberry32(42) }), upstreams('a', 'b', 'c'), 30_000)
    for (const id of ['a', 'b', 'c']) assertNear(c[id], 10_000, 500, id)
  })

  it('ignores weights (plain uniform)', () => {
    const c = counts(random({ random: mulberry32(43) }), upstreamsWithWeights({ a: 10, b: 1, c: 1 }), 30_000)
    for (const id of ['a', 'b', 'c']) assertNear(c[id], 10_000, 500, id)
  })

  it('maps the injected draws onto the candidates, clamping a draw of 1', () => {
    assert.deepEqual(run(random({ random: sequence(0, 0.34, 0.99, 1) }), upstreams('a', 'b', 'c'), 4), ['a', 'b', 'c', 'c'])
  })
})

describe('roundRobin', () => {
  it('rotates in order: A, B, C, A, B, C', () => {
    assert.deepEqual(run(roundRobin(), upstreams('A', 'B', 'C'), 6), ['A', 'B', 'C', 'A', 'B', 'C'])
  })

  it('ignores weights', () => {
    assert.deepEqual(run(roundRobin(), upstreamsWithWeights({ a: 5, b: 1, c: 1 }), 6), ['a', 'b', 'c', 'a', 'b', 'c'])
  })

  it('stays fair when the list shrinks or grows mid-rotation', () => {
    const b = roundRobin()
    const [a, bb, c, d] = upstreams('a', 'b', 'c', 'd')
    run(b, [a!, bb!, c!], 2)
    assert.deepEqual(counts(b, [a!, bb!], 10), { a: 5, b: 5 })
    assert.deepEqual(counts(b, [a!, bb!, c!, d!], 12), { a: 3, b: 3, c: 3, d: 3 })
  })

  it('keeps one counter per instance', () => {
    const list = upstreams('a', 'b', 'c')
    const first = roundRobin()
    run(first, list, 2)
    assert.deepEqual(run(roundRobin(), list, 1), ['a'])
    assert.deepEqual(run(first, list, 1), ['c'])
  })
})

describe('weightedRoundRobin', () => {
  it('gives nginx\'s smooth sequence for weights 5, 1, 1: a a b a c a a, repeating', () => {
    const seq = ['a', 'a', 'b', 'a', 'c', 'a', 'a']
    assert.deepEqual(run(weightedRoundRobin(), upstreamsWithWeights({ a: 5, b: 1, c: 1 }), 14), [...seq, ...seq])
  })

  it('gives exact shares by weight', () => {
    assert.deepEqual(counts(weightedRoundRobin(), upstreamsWithWeights({ a: 3, b: 2, c: 1 }), 600), { a: 300, b: 200, c: 100 })
  })

  it('keeps its state across snapshots (new array, same upstream state objects)', () => {
    const b = weightedRoundRobin()
    const list = upstreamsWithWeights({ a: 5, b: 1, c: 1 })
    const head = run(b, Object.freeze([...list]), 3)
    const tail = run(b, Object.freeze([...list]), 4)
    assert.deepEqual([...head, ...tail], ['a', 'a', 'b', 'a', 'c', 'a', 'a'])
  })

  it('follows a weight change on the same upstream', () => {
    const b = weightedRoundRobin()
    const list = upstreamsWithWeights({ a: 1, b: 1 })
    assert.deepEqual(counts(b, list, 10), { a: 5, b: 5 })
    list[0]!.weight = 3
    const c = counts(b, list, 400)
    assertNear(c.a, 300, 2, 'a')
    assertNear(c.b, 100, 2, 'b')
  })
})

describe('leastConn', () => {
  it('picks the least loaded', () => {
    const list = [upstream('a', { inflight: 3 }), upstream('b', { inflight: 1 }), upstream('c', { inflight: 2 })]
    assert.deepEqual(counts(leastConn({ random: mulberry32(1) }), list, 100), { b: 100 })
  })

  it('compares inflight / weight, not raw inflight', () => {
    const b: Balancer = leastConn({ random: mulberry32(2) })
    const big = upstream('big', { weight: 4, inflight: 4 }) // 1.0 per unit
    const small = upstream('small', { weight: 1, inflight: 2 }) // 2.0 per unit
    assert.equal(b.pick([small, big], noKey), big)
    big.inflight = 9 // 2.25 per unit
    assert.equal(b.pick([small, big], noKey), small)
  })

  it('spreads ties evenly and never picks a busier one', () => {
    const list = [...upstreams('a', 'b', 'c'), upstream('busy', { inflight: 1 })]
    const c = counts(leastConn({ random: mulberry32(3) }), list, 3000)
    for (const id of ['a', 'b', 'c']) assertNear(c[id], 1000, 100, id)
    assert.equal(c.busy, undefined)
  })

  it('breaks ties in proportion to weight', () => {
    const c = counts(leastConn({ random: mulberry32(4) }), upstreamsWithWeights({ a: 3, b: 1 }), 4000)
    assertNear(c.a, 3000, 150, 'a')
  })

  it('keeps loads level as requests accumulate', () => {
    const b: Balancer = leastConn({ random: mulberry32(5) })
    const list = upstreams('a', 'b', 'c')
    for (let i = 0; i < 300; i++) (b.pick(list, noKey) as (typeof list)[number]).inflight++
    assert.deepEqual(list.map((u) => u.inflight), [100, 100, 100])
  })
})

describe('powerOfTwoChoices', () => {
  const loaded = () => [upstream('a', { inflight: 0 }), upstream('b', { inflight: 5 }), upstream('c', { inflight: 10 })]

  it('never picks the most loaded of 3, and picks the least loaded twice as often as the middle one', () => {
    const c = counts(powerOfTwoChoices({ random: mulberry32(7) }), loaded(), 3000)
    assert.equal(c.c, undefined)
    assertNear(c.a, 2000, 150, 'a')
    assertNear(c.b, 1000, 150, 'b')
  })

  it('chooses the less loaded of the two drawn, in either order', () => {
    assert.deepEqual(run(powerOfTwoChoices({ random: sequence(0.99, 0.0) }), loaded(), 1), ['a'])
    assert.deepEqual(run(powerOfTwoChoices({ random: sequence(0.0, 0.99) }), loaded(), 1), ['a'])
    assert.deepEqual(run(powerOfTwoChoices({ random: sequence(0.5, 0.99) }), loaded(), 1), ['b'])
  })

  it('draws two distinct candidates even when the source repeats itself', () => {
    const list = [upstream('busy', { inflight: 5 }), upstream('idle')]
    assert.deepEqual(run(powerOfTwoChoices({ random: () => 0 }), list, 3), ['idle', 'idle', 'idle'])
  })

  it('compares inflight / weight', () => {
    const list = [upstream('small', { weight: 1, inflight: 2 }), upstream('big', { weight: 4, inflight: 4 })]
    assert.deepEqual(run(powerOfTwoChoices({ random: mulberry32(8) }), list, 20), Array(20).fill('big'))
  })
})

describe('hash', () => {
  const byIp = (ip: string) => context({ clientIp: ip })
  const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)
  const owners = (b: Balancer, list: readonly UpstreamState[]) => keys.map((k) => b.pick(list, byIp(k))!.id)

  it('sends the same key to the same upstream, whatever the array identity or order', () => {
    const b = hash({ on: 'client-ip' })
    const list = upstreams('a', 'b', 'c', 'd', 'e')
    const before = owners(b, list)
    assert.deepEqual(owners(b, list), before)
    assert.deepEqual(owners(hash({ on: 'client-ip' }), [...list].reverse()), before)
  })

  it('spreads distinct keys: each of 5 upstreams gets 10–30% of 10k keys', () => {
    const c = countIds(owners(hash({ on: 'client-ip' }), upstreams('a', 'b', 'c', 'd', 'e')))
    for (const id of ['a', 'b', 'c', 'd', 'e']) assert.ok(c[id]! >= 1000 && c[id]! <= 3000, `${id}: ${c[id]}`)
  })

  it('gives shares by weight', () => {
    const picks = owners(hash({ on: 'client-ip' }), upstreamsWithWeights({ heavy: 3, light: 1 }))
    assertNear(picks.filter((id) => id === 'heavy').length, 7500, 750, 'heavy')
  })

  it('removing one of 10 upstreams moves only its keys (≈1/10)', () => {
    const b = hash({ on: 'client-ip' })
    const list = upstreams(...Array.from({ length: 10 }, (_, i) => `u${i}`))
    const before = owners(b, list)
    const after = owners(b, list.filter((u) => u.id !== 'u3'))
    let moved = 0
    for (let i = 0; i < keys.length; i++) {
      if (before[i] === 'u3') moved++
      else assert.equal(after[i], before[i], `${keys[i]} moved from ${before[i]} to ${after[i]}`)
      assert.notEqual(after[i], 'u3')
    }
    assert.ok(moved >= 500 && moved <= 1500, `moved ${moved} of 10000`)
  })

  it('adding an upstream moves keys only onto it', () => {
    const b = hash({ on: 'client-ip' })
    const list = upstreams(...Array.from({ length: 10 }, (_, i) => `u${i}`))
    const before = owners(b, list)
    const after = owners(b, [...list, upstream('new')])
    const moved = after.filter((id, i) => id !== before[i])
    assert.ok(moved.every((id) => id === 'new') && moved.length >= 400 && moved.length <= 1500, `moved ${moved.length}`)
  })

  // [label, on, request with key k and fixed other details, request with key k and other details varying with i]
  for (const [label, on, keyed, varied] of [
    ['client-ip', 'client-ip', (k: string) => context({ clientIp: k, headers: { 'x-user': 'x' }, cookies: { sid: 'x' } }), (k: string, i: number) => context({ clientIp: k, headers: { 'x-user': `u${i}` }, cookies: { sid: `s${i}` } })],
    ['header', { header: 'X-User' }, (k: string) => context({ clientIp: '10.0.0.1', headers: { 'x-user': k }, cookies: { sid: 'x' } }), (k: string, i: number) => context({ clientIp: `10.9.0.${i}`, headers: { 'X-USER': k }, cookies: { sid: `s${i}` } })],
    ['cookie', { cookie: 'sid' }, (k: string) => context({ clientIp: '10.0.0.1', headers: { 'x-user': 'x' }, cookies: { sid: k } }), (k: string, i: number) => context({ clientIp: `10.9.0.${i}`, headers: { 'x-user': `u${i}` }, cookies: { sid: k, other: 'x' } })],
  ] as const) {
    it(`keys on the ${label}, and only on it`, () => {
      const b = hash({ on })
      const list = upstreams('a', 'b', 'c', 'd', 'e')
      const first = keys.slice(0, 500).map((k) => b.pick(list, keyed(k))!.id)
      assert.equal(new Set(first).size, 5, 'distinct keys should reach every upstream')
      // Reverse order, so that a fallback rotation could not reproduce the same list by chance.
      const again = keys.slice(0, 500).map((k, i) => ({ k, i })).reverse().map(({ k, i }) => b.pick(list, varied(k, i))!.id)
      assert.deepEqual(again.reverse(), first, 'the same key with other request details should not move')
    })
  }

  it('maps a key to the first virtual node at or after its hash, wrapping past the last', () => {
    const list = upstreams('a', 'b', 'c', 'd')
    const ring = list
      .flatMap((u) => [0, 1, 2].map((i) => ({ point: hash32(`${u.id}#${i}`), id: u.id })))
      .sort((x, y) => x.point - y.point)
    const b = hash({ on: 'client-ip', replicas: 3 })
    let wrapped = 0
    for (const key of keys.slice(0, 3000)) {
      const h = hash32(key)
      const owner = ring.find((n) => n.point >= h) ?? (wrapped++, ring[0]!)
      assert.equal(b.pick(list, byIp(key))!.id, owner.id, key)
    }
    assert.ok(wrapped > 0, 'some keys should hash past the last point')
  })

  it('orders colliding virtual nodes by id, so the ring ignores candidate order', () => {
    const [x, y] = upstreams('upmy85g', 'udx3suc')
    assert.equal(hash32('upmy85g#0'), hash32('udx3suc#0'), 'precondition: these ids collide')
    const b = hash({ on: 'client-ip', replicas: 1 })
    assert.equal(b.pick([x!, y!], byIp('k'))!.id, b.pick([y!, x!], byIp('k'))!.id)
  })

  it('hash32 avalanches: a one-character change flips about half of the 32 bits', () => {
    const bits = (n: number) => n.toString(2).replaceAll('0', '').length
    let flipped = 0
    for (let i = 0; i < 1000; i++) {
      const h = hash32(`web-${i}#0`)
      assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32)
      flipped += bits(h ^ hash32(`web-${i}#1`))
    }
    assertNear(flipped / 1000, 16, 2, 'mean flipped bits')
  })

  it('falls back to round robin when the key is missing or empty', () => {
    const b = hash({ on: { header: 'x-user' } })
    const list = upstreams('a', 'b', 'c')
    const missing = [noKey, context({ headers: { 'x-user': '' } }), noKey, noKey, noKey, noKey]
    assert.deepEqual(missing.map((ctx) => b.pick(list, ctx)!.id), ['a', 'b', 'c', 'a', 'b', 'c'])
  })

  it('falls back to the injected random source when asked to', () => {
    const b = hash({ on: { cookie: 'sid' }, fallback: 'random', random: sequence(0.99, 0, 0.5) })
    assert.deepEqual(run(b, upstreams('a', 'b', 'c'), 3), ['c', 'a', 'b'])
  })

  it('takes more virtual nodes for a more even spread', () => {
    const spread = (replicas: number) => {
      const c = Object.values(countIds(owners(hash({ on: 'client-ip', replicas }), upstreams('a', 'b', 'c', 'd', 'e'))))
      return Math.max(...c) - Math.min(...c)
    }
    assert.ok(spread(1) > spread(500), `replicas 1: ${spread(1)}, replicas 500: ${spread(500)}`)
  })
})

describe('options validation names the bad field', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['hash on: 42', () => hash({ on: 42 } as never), /hash\(\): on: expected "client-ip"/],
    ['hash without on', () => hash({} as never), /hash\(\): on:/],
    ['hash on empty header', () => hash({ on: { header: '' } }), /hash\(\): on\.header:/],
    ['hash replicas 0', () => hash({ on: 'client-ip', replicas: 0 }), /hash\(\): replicas:/],
    ['hash replicas 1.5', () => hash({ on: 'client-ip', replicas: 1.5 }), /hash\(\): replicas:/],
    ['hash fallback', () => hash({ on: 'client-ip', fallback: 'sticky' as never }), /hash\(\): fallback:/],
    ['hash random', () => hash({ on: 'client-ip', random: 1 as never }), /hash\(\): random: expected a function/],
    ['random random', () => random({ random: 'x' as never }), /random\(\): random: expected a function/],
    ['leastConn random', () => leastConn({ random: 1 as never }), /leastConn\(\): random:/],
    ['powerOfTwoChoices random', () => powerOfTwoChoices({ random: {} as never }), /powerOfTwoChoices\(\): random:/],
    ['roundRobin unknown key', () => roundRobin({ weights: true } as never), /roundRobin\(\):.*weights/],
    ['weightedRoundRobin unknown key', () => weightedRoundRobin({ smooth: 1 } as never), /weightedRoundRobin\(\):.*smooth/],
  ]
  for (const [label, call, message] of cases) {
    it(label, () => {
      assert.throws(() => assertValidPlugin(call() as never), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
        assert.match(err.message, message)
        return true
      })
    })
  }
})
