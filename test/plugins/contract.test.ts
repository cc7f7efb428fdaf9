// The plugin contract (core/plugin/): every built-in factory declares its kind and name, never
// throws on bad options (it returns an inert plugin carrying `problems`), each config slot takes
// only its kind, and middleware is set up once per plugin object with the gateway's context.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateConfig } from '../../core/config/validate.ts'
import { isConfigError } from '../../core/config/errors.ts'
import type { MiddlewarePlugin, PluginKind } from '../../core/plugin/contract.ts'
import type { DiscoveryPlugin, DiscoverySnapshot } from '../../core/types.ts'
import { accessLog } from '../../plugins/access-log/index.ts'
import { activeHealth } from '../../plugins/active-health/index.ts'
import { admin } from '../../plugins/admin/index.ts'
import { apiKey } from '../../plugins/api-key/index.ts'
import { basicAuth } from '../../plugins/basic-auth/index.ts'
import { certificateFiles } from '../../plugins/certificates/index.ts'
import { compress } from '../../plugins/compress/index.ts'
import { cors } from '../../plugins/cors/index.ts'
import { demoUpstreams } from '../../plugins/demo/index.ts'
import { dns } from '../../plugins/dns/index.ts'
import { docker } from '../../plugins/docker/index.ts'
import { etcd } from '../../plugins/etcd/index.ts'
import { file } from '../../plugins/file/index.ts'
import { forwardAuth } from '../../plugins/forward-auth/index.ts'
import { hash } from '../../plugins/hash/index.ts'
import { ipFilter } from '../../plugins/ip-filter/index.ts'
import { jwt } from '../../plugins/jwt/index.ts'
import { leastConn } from '../../plugins/least-conn/index.ts'
import { metrics } from '../../plugins/metrics/index.ts'
import { outlierDetection } from '../../plugins/outlier-detection/index.ts'
import { powerOfTwoChoices } from '../../plugins/p2c/index.ts'
import { random } from '../../plugins/random/index.ts'
import { rateLimit } from '../../plugins/rate-limit/index.ts'
import { roundRobin } from '../../plugins/round-robin/index.ts'
import { securityHeaders } from '../../plugins/security-headers/index.ts'
import { staticUpstreams } from '../../plugins/static/index.ts'
import { swarm } from '../../plugins/swarm/index.ts'
import { weightedRoundRobin } from '../../plugins/weighted-round-robin/index.ts'
import { recordingLogger, startGateway } from '../support/gateway.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'

const BAD = { nonsense: true } as never
/** [factory name, kind, a call with bad options] for every built-in plugin. */
const factories: [string, PluginKind, () => { kind: string; name: string; problems?: readonly string[] }][] = [
  ['accessLog', 'observer', () => accessLog(BAD)],
  ['activeHealth', 'health', () => activeHealth(BAD)],
  ['admin', 'observer', () => admin(BAD)],
  ['apiKey', 'middleware', () => apiKey(BAD)],
  ['basicAuth', 'middleware', () => basicAuth(BAD)],
  ['certificateFiles', 'certificates', () => certificateFiles(BAD)],
  ['compress', 'middleware', () => compress(BAD)],
  ['cors', 'middleware', () => cors(BAD)],
  ['demoUpstreams', 'discovery', () => demoUpstreams(BAD)],
  ['dns', 'discovery', () => dns(BAD)],
  ['docker', 'discovery', () => docker(BAD)],
  ['etcd', 'discovery', () => etcd(BAD)],
  ['file', 'discovery', () => file(BAD)],
  ['forwardAuth', 'middleware', () => forwardAuth(BAD)],
  ['hash', 'balancer', () => hash(BAD)],
  ['ipFilter', 'middleware', () => ipFilter(BAD)],
  ['jwt', 'middleware', () => jwt(BAD)],
  ['leastConn', 'balancer', () => leastConn(BAD)],
  ['metrics', 'observer', () => metrics(BAD)],
  ['outlierDetection', 'outlier', () => outlierDetection(BAD)],
  ['powerOfTwoChoices', 'balancer', () => powerOfTwoChoices(BAD)],
  ['random', 'balancer', () => random(BAD)],
  ['rateLimit', 'middleware', () => rateLimit(BAD)],
  ['roundRobin', 'balancer', () => roundRobin(BAD)],
  ['securityHeaders', 'middleware', () => securityHeaders(BAD)],
  ['staticUpstreams', 'discovery', () => staticUpstreams(BAD)],
  ['swarm', 'discovery', () => swarm(BAD)],
  ['weightedRoundRobin', 'balancer', () => weightedRoundRobin(BAD)],
]

test('every built-in factory: its kind and name, and bad options become problems, never a throw', () => {
  for (const [name, kind, make] of factories) {
    const plugin = make()
    assert.equal(plugin.kind, kind, name)
    assert.equal(plugin.name, name)
    assert.ok(plugin.problems?.length, `${name}: no problems for bad options`)
  }
  assert.equal(roundRobin().problems, undefined, 'good options carry no problems')
  assert.deepEqual(jwt({ secret: 'x'.repeat(32), audience: 'a' }).options, { secret: 'x'.repeat(32), audience: 'a' }, 'options as given')
})

test('an invalid plugin refuses to run, naming itself and its problems', () => {
  const bad = hash({ on: 42 as never })
  assert.throws(() => bad.pick([], { clientIp: '', header: () => undefined, cookie: () => undefined }), (err) => isConfigError(err) && /hash\(\): on: /.test(err.message))
})

/** The problem lines validateConfig reports. */
function problems(input: unknown): string[] {
  try {
    validateConfig(input)
    return []
  } catch (err) {
    assert.ok(isConfigError(err), String(err))
    return err.problems
  }
}

const UP = ['http://127.0.0.1:9']

test('each slot takes only its kind, naming the slot, the kind expected and the one it got', () => {
  assert.deepEqual(problems({ observe: [docker()] }), ['observe[0]: expected an observer plugin (metrics(), accessLog(), tracing(), admin() …), got a discovery plugin (docker)'])
  assert.deepEqual(problems({ discovery: [metrics()] }), ['discovery[0]: expected a discovery plugin (staticUpstreams([...]), docker(), etcd(), file(), dns() …), got an observer plugin (metrics)'])
  assert.deepEqual(problems({ pools: { web: { upstreams: UP, health: docker() } } }), ['pools.web.health: expected an active health plugin (activeHealth({ path: "/" }) …), got a discovery plugin (docker)'])
  assert.deepEqual(problems({ pools: { web: { upstreams: UP, balancer: outlierDetection() } } }), ['pools.web.balancer: expected a balancer plugin (roundRobin(), leastConn(), hash() …), got a passive health plugin (outlierDetection)'])
  assert.deepEqual(problems({ pools: { web: { discovery: [staticUpstreams(UP), roundRobin()] } } }), ['pools.web.discovery[1]: expected a discovery plugin (staticUpstreams([...]), docker(), etcd(), file(), dns() …), got a balancer plugin (roundRobin)'])
  assert.deepEqual(problems({ pools: { web: { upstreams: UP } }, routes: [{ pool: 'web', use: [metrics()] }] }), [
    'routes[0].use[0]: expected a middleware plugin (jwt(), apiKey(), rateLimit(), cors() … or a function (c, next) => …), got an observer plugin (metrics)',
  ])
  assert.match(problems({ observe: [{ name: 'old', start() {} }] })[0]!, /^observe\[0\]: expected an observer plugin .*, got an object without a plugin kind \(old\)/)
  assert.deepEqual(problems({ discovery: [false, null, undefined] }), [], 'falsy entries are still dropped')
})

test('option problems are collected with their slot paths, all at once', () => {
  assert.deepEqual(
    problems({
      observe: [metrics({ maxSeries: 0 })],
      pools: { web: { upstreams: UP, balancer: hash({ on: 42 as never }), outlier: outlierDetection({ consecutive: 'x' as never }) } },
      routes: [{ pool: 'web', use: [cors(), jwt({ secret: 'short', algorithms: ['HS256'] })] }],
    }).map((l) => l.replace(/: (expected|Too|Invalid|use).*$/, ': …')),
    ['observe[0]: metrics(): maxSeries: …', 'pools.web.balancer: hash(): on: …', 'pools.web.outlier: outlierDetection(): consecutive: …', 'routes[0].use[1]: jwt(): secret: …'],
  )
})

test('middleware: set up once per plugin object with the gateway\'s log (prefixed) and signal; state survives route-table rebuilds', async () => {
  const up = await startUpstream(echo('web'))
  let setups = 0
  let signal: AbortSignal | undefined
  const counter: MiddlewarePlugin = {
    kind: 'middleware',
    name: 'counter',
    setup(ctx) {
      setups++
      signal = ctx.signal
      ctx.log.info('ready')
      let n = 0
      return async (c, next) => {
        c.header('x-count', String(++n))
        await next()
      }
    },
  }
  let emit: ((s: DiscoverySnapshot) => void) | undefined
  const source: DiscoveryPlugin = { kind: 'discovery', name: 'hand', start: (ctx) => void ((emit = ctx.emit), emit({ pools: {}, routes: [] })) }
  const log = recordingLogger()
  const gw = await startGateway({ discovery: [source], pools: { web: { upstreams: [up.url] } }, routes: [{ path: '/a', pool: 'web', use: [counter] }, { path: '/b', pool: 'web', use: [counter] }] }, { log })
  try {
    const count = async (path: string) => (await fetch(gw.url + path)).headers.get('x-count')
    assert.deepEqual([await count('/a'), await count('/b')], ['1', '2'], 'one object on two routes: one state')
    emit!({ pools: {}, routes: [{ path: '/c', pool: 'web' }] }) // the route table is rebuilt
    assert.equal((await fetch(gw.url + '/c')).status, 200, 'the rebuilt table serves the discovered route')
    assert.equal(await count('/a'), '3', 'state survived the rebuild')
    assert.equal(setups, 1)
    assert.ok(log.lines.includes('info: counter: ready'), log.lines.join('\n'))
    assert.equal(signal?.aborted, false)
  } finally {
    await gw.stop()
    await up.close()
  }
  assert.equal(signal?.aborted, true, 'the signal aborts when the gateway stops')
})
