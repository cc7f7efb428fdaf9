// validateConfig in process: defaults, durations, plugin lists, and parseDuration.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateConfig } from '../../core/config/validate.ts'
import { parseDuration } from '../../core/config/duration.ts'
import { isConfigError } from '../../core/config/errors.ts'
import { staticUpstreams } from '../../plugins/static/index.ts'
import { leastConn } from '../../plugins/least-conn/index.ts'
import type { GatewayMiddleware } from '../../core/types.ts'

const UP = ['http://127.0.0.1:9001']

/** The problems validateConfig reports, or [] when the config is valid. */
function problems(input: unknown): string[] {
  try {
    validateConfig(input)
    return []
  } catch (err) {
    assert.ok(isConfigError(err), `expected a ConfigError, got ${err}`)
    return err.problems
  }
}

test('defaults: listen, pool retries and timeouts, balancer, route path and hostHeader', () => {
  const config = validateConfig({ pools: { web: { upstreams: UP } }, routes: [{ pool: 'web' }] })
  assert.deepEqual(config.listen, { port: 8080, host: '0.0.0.0', http2: { enabled: true, h2c: false, maxConcurrentStreams: 100 } })
  assert.deepEqual(config.trustedProxies, [])
  const web = config.pools.web!
  assert.equal(web.retries, 2)
  assert.deepEqual(web.timeouts, { connect: 5000, firstByte: 60000, idle: 60000 })
  assert.equal(web.balancer.name, 'roundRobin')
  assert.equal(typeof web.balancer.pick, 'function')
  assert.deepEqual(web.discovery, [])
  const route = config.routes[0]!
  assert.equal(route.path, '/*')
  assert.equal(route.hostHeader, 'preserve')
  assert.deepEqual(route.use, [])
})

test('an empty config is valid and fully defaulted', () => {
  const config = validateConfig({})
  assert.deepEqual(config.listen, { port: 8080, host: '0.0.0.0', http2: { enabled: true, h2c: false, maxConcurrentStreams: 100 } })
  assert.deepEqual(config.pools, {})
  assert.deepEqual(config.routes, [])
})

test('partial objects keep their other defaults', () => {
  const config = validateConfig({ listen: { port: 9000 }, pools: { web: { upstreams: UP, timeouts: { connect: '1s' } } } })
  assert.deepEqual(config.listen, { port: 9000, host: '0.0.0.0', http2: { enabled: true, h2c: false, maxConcurrentStreams: 100 } })
  assert.deepEqual(config.pools.web!.timeouts, { connect: 1000, firstByte: 60000, idle: 60000 })
})

test('each pool gets its own default balancer (no round-robin state shared between pools)', () => {
  const config = validateConfig({ pools: { a: { upstreams: UP }, b: { upstreams: UP } } })
  assert.notEqual(config.pools.a!.balancer, config.pools.b!.balancer)
})

test('a given balancer is kept as is', () => {
  const balancer = leastConn()
  assert.equal(validateConfig({ pools: { web: { upstreams: UP, balancer } } }).pools.web!.balancer, balancer)
})

test('durations in configs resolve to milliseconds', () => {
  const config = validateConfig({
    pools: {
      a: { upstreams: UP, timeouts: { connect: '250ms', firstByte: '2s', idle: '1.5m' } },
      b: { upstreams: UP, timeouts: { connect: 1500, firstByte: '1h', idle: 0 } },
    },
  })
  assert.deepEqual(config.pools.a!.timeouts, { connect: 250, firstByte: 2000, idle: 90_000 })
  assert.deepEqual(config.pools.b!.timeouts, { connect: 1500, firstByte: 3_600_000, idle: 0 })
})

test('bad durations name the field', () => {
  for (const bad of ['fast', '2', '-1s', '', -5, '1d', true]) {
    assert.deepEqual(
      problems({ pools: { web: { upstreams: UP, timeouts: { idle: bad } } } }).map((l) => l.split(':')[0]),
      ['pools.web.timeouts.idle'],
      JSON.stringify(bad),
    )
  }
})

test('falsy plugin entries are dropped: use: [false && x, null]', () => {
  const mw: GatewayMiddleware = async (_c, next) => next()
  const mw2: GatewayMiddleware = async (_c, next) => next()
  const debug = false as boolean
  const config = validateConfig({
    pools: { web: { upstreams: UP } },
    routes: [
      { pool: 'web', use: [debug && mw, null] },
      { pool: 'web', use: [mw, false, null, undefined, mw2] },
    ],
  })
  assert.deepEqual(config.routes[0]!.use, [])
  assert.deepEqual(config.routes[1]!.use, [mw, mw2])
})

test('discovery: one plugin or a list with falsy entries becomes a list of plugins', () => {
  const source = staticUpstreams(UP)
  const one = validateConfig({ pools: { web: { discovery: source } } })
  assert.deepEqual(one.pools.web!.discovery, [source])
  const list = validateConfig({ pools: { web: { discovery: [false, source, null] } } })
  assert.deepEqual(list.pools.web!.discovery, [source])
  // Only falsy entries: the pool has no source left.
  assert.deepEqual(problems({ pools: { web: { discovery: [false, null] } } }), [
    'pools.web: expected "upstreams" or "discovery" (the pool has no source of upstreams)',
  ])
})

test('route fields are normalized: methods upper-cased, single host kept', () => {
  const config = validateConfig({ pools: { web: { upstreams: UP } }, routes: [{ pool: 'web', host: 'a.example.com', methods: ['get', 'Post'] }] })
  assert.deepEqual(config.routes[0]!.methods, ['GET', 'POST'])
  assert.equal(config.routes[0]!.host, 'a.example.com')
})

test('every problem is reported, not only the first', () => {
  const lines = problems({ listen: { port: 65536 }, pools: { web: { upstreams: ['nope'], retries: 11 } }, routes: [{ pool: 'web', path: 'x' }] })
  assert.deepEqual(lines.map((l) => l.split(':')[0]).sort(), ['listen.port', 'pools.web.retries', 'pools.web.upstreams[0]', 'routes[0].path'])
})

test('parseDuration: units, numbers and rejections', () => {
  const rows: [string | number, number | undefined][] = [
    ['250ms', 250], ['2s', 2000], ['1.5m', 90_000], ['1h', 3_600_000], ['0s', 0], ['0.5s', 500],
    [' 2s ', 2000], ['2 s', 2000], [1500, 1500], [0, 0], [2.5, 2.5],
    ['', undefined], ['s', undefined], ['2', undefined], ['1500', undefined], ['-1s', undefined], ['.5s', undefined],
    ['1.s', undefined], ['2sec', undefined], ['1d', undefined], ['2s5', undefined], ['1e3ms', undefined], ['2 s s', undefined],
    [-1, undefined], [Number.NaN, undefined], [Number.POSITIVE_INFINITY, undefined],
  ]
  for (const [input, want] of rows) assert.equal(parseDuration(input), want, JSON.stringify(input))
})
