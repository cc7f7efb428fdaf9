/** The pure half of Docker discovery, without Docker: labels → pools and routes, ports, addresses, health, events. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ContainerInspectInfo } from 'dockerode'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { docker } from '../../plugins/docker/index.ts'
import { parseEvent, isStopSignal } from '../../plugins/docker/events.ts'
import { factsFromInspect, type ContainerFacts, type TrackedContainer } from '../../plugins/docker/facts.ts'
import { readLabels } from '../../plugins/docker/labels.ts'
import { imageMatches, parseSelector, selection, selects } from '../../plugins/docker/select.ts'
import { ContainerTracker } from '../../plugins/docker/tracker.ts'
import { translate, type TranslateSettings } from '../../plugins/docker/translate.ts'

let seq = 0
/** A running container on the host network, labelled for pool "web" on port 8000, unless overridden. */
function c(over: Partial<TrackedContainer> = {}): TrackedContainer {
  const n = ++seq
  return {
    id: over.id ?? `id${String(n).padStart(3, '0')}`,
    name: over.name ?? `c${String(n).padStart(3, '0')}`,
    image: 'myapp:1',
    labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '8000' },
    running: true,
    paused: false,
    restarting: false,
    startedAt: 1_000,
    createdAt: 500,
    stopSignal: 'SIGTERM',
    networkMode: 'host',
    networks: { host: '' },
    exposed: [],
    published: {},
    ...over,
  }
}

function settings(over: { pool?: string; label?: string[]; image?: string } & Partial<TranslateSettings> = {}): TranslateSettings {
  const { label, image, ...rest } = over
  return {
    prefix: 'gatehouse',
    hostIp: '127.0.0.1',
    selection: selection({ label, image, prefix: 'gatehouse' }, over.pool),
    ...rest,
  }
}

/** pool → sorted "url weight" strings. */
function pools(containers: TrackedContainer[], s: TranslateSettings): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [name, list] of Object.entries(translate(containers, s).snapshot.pools)) {
    out[name] = list.map((u) => (typeof u === 'string' ? u : `${u.url}${(u.weight ?? 1) > 1 ? ` w${u.weight}` : ''}`)).sort()
  }
  return out
}

describe('docker translation: selection and pools', () => {
  it('under a pool, takes containers labelled gatehouse.pool=<pool> by default and always emits the pool', () => {
    const list = [c({ labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '8001' } }), c({ labels: { 'gatehouse.pool': 'api', 'gatehouse.port': '8002' } })]
    assert.deepEqual(pools(list, settings({ pool: 'web' })), { web: ['http://127.0.0.1:8001'] })
    assert.deepEqual(pools([], settings({ pool: 'web' })), { web: [] })
  })

  const table: Array<[what: string, s: Partial<Parameters<typeof settings>[0]>, labels: Record<string, string>, image: string, taken: boolean]> = [
    ['label key=value matches', { label: ['tier=front'] }, { tier: 'front' }, 'x', true],
    ['label key=value, other value', { label: ['tier=front'] }, { tier: 'back' }, 'x', false],
    ['label key only: present', { label: ['gatehouse.enable'] }, { 'gatehouse.enable': 'yes' }, 'x', true],
    ['label key only: absent', { label: ['gatehouse.enable'] }, {}, 'x', false],
    ['all labels must match', { label: ['a=1', 'b=2'] }, { a: '1' }, 'x', false],
    ['enable=false opts out', { label: ['tier=front'] }, { tier: 'front', 'gatehouse.enable': 'false' }, 'x', false],
    ['image without tag: any tag', { image: 'myapp' }, {}, 'myapp:2.0', true],
    ['image without tag: docker.io/library form', { image: 'myapp' }, {}, 'docker.io/library/myapp:latest', true],
    ['image with tag: other tag', { image: 'myapp:1.0' }, {}, 'myapp:2.0', false],
    ['image with tag: same tag', { image: 'local/nodeapp:1.0' }, {}, 'local/nodeapp:1.0', true],
    ['image: other repo', { image: 'myapp' }, {}, 'myapp2', false],
    ['image and label combine', { image: 'myapp', label: ['tier=front'] }, {}, 'myapp', false],
    ['top level default: any gatehouse.* label', {}, { 'gatehouse.host': 'a.test' }, 'x', true],
    ['top level default: no gatehouse label', {}, { other: '1' }, 'x', false],
  ]
  for (const [what, s, labels, image, taken] of table) {
    it(`selection: ${what}`, () => assert.equal(selects(settings(s).selection, { labels, image }), taken))
  }

  it('parses selectors and image references', () => {
    assert.deepEqual(parseSelector('gatehouse.pool=web'), { key: 'gatehouse.pool', value: 'web' })
    assert.deepEqual(parseSelector('a=b=c'), { key: 'a', value: 'b=c' })
    assert.deepEqual(parseSelector('gatehouse.enable'), { key: 'gatehouse.enable' })
    assert.ok(imageMatches('registry:5000/team/app:3', 'registry:5000/team/app'))
    assert.ok(!imageMatches('registry:5000/team/app:3', 'team/app'))
    assert.ok(imageMatches('myapp', 'myapp:latest'), 'no tag means latest')
    assert.ok(imageMatches('myapp@sha256:abc', 'myapp@sha256:abc'))
  })

  it('at the top level, pools come from gatehouse.pool, else the compose service, else the container name', () => {
    const list = [
      c({ name: 'a1', labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '8001' } }),
      c({ name: 'a2', labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '8002', 'gatehouse.weight': '3' } }),
      c({ name: 'proj-api-1', labels: { 'com.docker.compose.service': 'api', 'gatehouse.port': '9001' } }),
      c({ name: 'blog', labels: { 'gatehouse.port': '7001' } }),
    ]
    assert.deepEqual(pools(list, settings()), { web: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002 w3'], api: ['http://127.0.0.1:9001'], blog: ['http://127.0.0.1:7001'] })
  })

  it('upstreams carry the container id, weight, scheme and labels', () => {
    const box = c({ id: 'f00d', name: 'box', labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '8443', 'gatehouse.scheme': 'https', 'gatehouse.meta.track': 'canary', 'gatehouse.meta.image': 'spoof' } })
    assert.deepEqual(translate([box], settings({ pool: 'web' })).snapshot.pools.web, [
      { id: 'f00d', url: 'https://127.0.0.1:8443', weight: 1, labels: { track: 'canary', container: 'box', image: 'myapp:1' } },
    ])
  })

  it('gatehouse.protocol=h2c / h2: the upstream URL names the protocol (core/pools/upstream-input.ts reads it)', () => {
    const grpc = c({ id: 'g1', name: 'grpc', labels: { 'gatehouse.pool': 'rpc', 'gatehouse.port': '50051', 'gatehouse.protocol': 'h2c' } })
    const tls = c({ id: 'g2', name: 'grpc-tls', labels: { 'gatehouse.pool': 'rpc', 'gatehouse.port': '50052', 'gatehouse.scheme': 'https', 'gatehouse.protocol': 'h2' } })
    assert.deepEqual(translate([grpc, tls], settings()).snapshot.pools.rpc!.map((u) => (typeof u === 'string' ? u : u.url)), ['h2c://127.0.0.1:50051', 'h2://127.0.0.1:50052'])
  })

  it('routes from labels: hosts, path, stripPrefix; replicas share one route', () => {
    const labels = { 'gatehouse.pool': 'app1', 'gatehouse.port': '8000', 'gatehouse.host': 'app1.test, www.app1.test', 'gatehouse.path': '/api/*', 'gatehouse.stripPrefix': '/api' }
    const { snapshot } = translate([c({ labels }), c({ labels: { ...labels, 'gatehouse.port': '8001' } }), c({ labels: { 'gatehouse.pool': 'x', 'gatehouse.port': '1', 'gatehouse.path': '/x' } })], settings())
    assert.deepEqual(snapshot.routes, [
      { host: ['app1.test', 'www.app1.test'], path: '/api/*', stripPrefix: '/api', pool: 'app1' },
      { path: '/x', pool: 'x' },
    ])
    assert.equal(snapshot.pools.app1!.length, 2)
    const one = translate([c({ labels: { 'gatehouse.host': 'b.test', 'gatehouse.port': '1' }, name: 'b' })], settings()).snapshot.routes
    assert.deepEqual(one, [{ host: 'b.test', path: '/*', pool: 'b' }], 'path defaults to /*')
  })

  it('under a pool, route labels route to that pool', () => {
    const { snapshot } = translate([c({ labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '1', 'gatehouse.host': 'w.test' } })], settings({ pool: 'web' }))
    assert.deepEqual(snapshot.routes, [{ host: 'w.test', path: '/*', pool: 'web' }])
  })
})

describe('docker translation: port and address', () => {
  const cases: Array<[what: string, over: Partial<ContainerFacts>, s: Partial<TranslateSettings>, expect: string | RegExp]> = [
    ['gatehouse.port on the host network', {}, {}, 'http://127.0.0.1:8000'],
    ['host network uses hostAddress', {}, { hostIp: '10.0.0.5' }, 'http://10.0.0.5:8000'],
    ['containerPort when there is no port label', { labels: {}, exposed: [80, 8000] }, { containerPort: 8000 }, 'http://127.0.0.1:8000'],
    ['the label beats containerPort', {}, { containerPort: 9999 }, 'http://127.0.0.1:8000'],
    ['the single exposed port', { labels: {}, exposed: [3000] }, {}, 'http://127.0.0.1:3000'],
    ['several exposed ports: skipped, naming them', { labels: {}, exposed: [80, 443] }, {}, /no port: it exposes 80, 443; set the gatehouse\.port label/],
    ['no exposed port: skipped', { labels: {} }, {}, /no port: it exposes no port/],
    ['published binding on all interfaces → hostAddress + host port', { networkMode: 'bridge', networks: { bridge: '172.17.0.2' }, published: { 8000: [{ hostIp: '0.0.0.0', hostPort: 49153 }, { hostIp: '::', hostPort: 49153 }] } }, {}, 'http://127.0.0.1:49153'],
    ['published binding on one IP', { networkMode: 'bridge', networks: { bridge: '172.17.0.2' }, published: { 8000: [{ hostIp: '10.1.2.3', hostPort: 8080 }] } }, {}, 'http://10.1.2.3:8080'],
    ['published on IPv6 only', { networkMode: 'bridge', networks: {}, published: { 8000: [{ hostIp: '::1', hostPort: 8080 }] } }, {}, 'http://[::1]:8080'],
    ['not published: the only network IP', { networkMode: 'proj_default', networks: { proj_default: '172.20.0.3' } }, {}, 'http://172.20.0.3:8000'],
    ['named network (option) beats the published port', { networkMode: 'bridge', networks: { bridge: '172.17.0.2', back: '10.9.0.4' }, published: { 8000: [{ hostIp: '0.0.0.0', hostPort: 49153 }] } }, { network: 'back' }, 'http://10.9.0.4:8000'],
    ['named network (label)', { labels: { 'gatehouse.port': '8000', 'gatehouse.network': 'back' }, networkMode: 'front', networks: { front: '10.8.0.2', back: '10.9.0.4' } }, {}, 'http://10.9.0.4:8000'],
    ['named network the container is not on: skipped', { networkMode: 'front', networks: { front: '10.8.0.2' } }, { network: 'back' }, /not on network "back" \(on: front\)/],
    ['several networks, none named: skipped', { networkMode: 'front', networks: { front: '10.8.0.2', back: '10.9.0.4' } }, {}, /on several networks \(back, front\); set the gatehouse\.network label/],
    ['network mode none: skipped', { networkMode: 'none', networks: { none: '' } }, {}, /no address: port 8000 is not published and the container has no IP \(network mode "none"\)/],
  ]
  for (const [what, over, s, expect] of cases) {
    it(what, () => {
      const container = c({ ...over, labels: { 'gatehouse.pool': 'web', ...(over.labels ?? { 'gatehouse.port': '8000' }) } })
      const result = translate([container], { ...settings({ pool: 'web', ...s }), ...s })
      if (typeof expect === 'string') {
        assert.deepEqual(result.skipped, [])
        assert.equal((result.snapshot.pools.web![0] as { url: string }).url, expect)
      } else {
        assert.deepEqual(result.snapshot.pools.web, [])
        assert.match(result.skipped[0]?.reason ?? '(not skipped)', expect)
      }
    })
  }
})

describe('docker translation: availability', () => {
  const states: Array<[what: string, over: Partial<TrackedContainer>, serves: boolean, held?: string]> = [
    ['running, no HEALTHCHECK', {}, true],
    ['healthy', { health: 'healthy' }, true],
    ['health starting', { health: 'starting' }, false, 'health: starting'],
    ['unhealthy', { health: 'unhealthy' }, false, 'health: unhealthy'],
    ['paused', { paused: true }, false, 'paused'],
    ['stopping (kill seen)', { stopping: true, health: 'healthy' }, false, 'stopping'],
    ['not running', { running: false }, false],
  ]
  for (const [what, over, serves, held] of states) {
    it(`${what}: ${serves ? 'serves' : 'not an upstream'}`, () => {
      const labels = { 'gatehouse.pool': 'app', 'gatehouse.port': '8000', 'gatehouse.host': 'app.test' }
      const r = translate([c({ labels, ...over })], settings())
      assert.equal(r.snapshot.pools.app?.length ?? 0, serves ? 1 : 0)
      assert.deepEqual(r.held.map((h) => h.reason), held ? [held] : [])
      if (held) {
        assert.deepEqual(r.snapshot.pools.app, [], 'a held-back container keeps its pool (503, not 404)')
        assert.equal(r.snapshot.routes.length, 1, 'and its route')
      }
    })
  }
})

describe('docker translation: bad labels are skipped with a reason, never harming the others', () => {
  const bad: Array<[labels: Record<string, string>, reason: RegExp]> = [
    [{ 'gatehouse.port': 'http' }, /^gatehouse\.port: "http" is not a port \(1-65535\)$/],
    [{ 'gatehouse.port': '70000' }, /gatehouse\.port: "70000" is not a port/],
    [{ 'gatehouse.weight': '0' }, /gatehouse\.weight: "0" is not a whole number from 1 to 1000/],
    [{ 'gatehouse.scheme': 'ftp' }, /gatehouse\.scheme: "ftp" is neither http nor https/],
    [{ 'gatehouse.protocol': 'h3' }, /gatehouse\.protocol: "h3" is not http1, h2c or h2/],
    [{ 'gatehouse.protocol': 'h2c', 'gatehouse.scheme': 'https' }, /gatehouse\.protocol: h2c is cleartext HTTP\/2, but gatehouse\.scheme is https/],
    [{ 'gatehouse.prot': '8000' }, /gatehouse\.prot: unknown label \(did you mean gatehouse\.port\?\)/],
    [{ 'gatehouse.host': 'bad host!' }, /^gatehouse\.host: expected a host like/],
    [{ 'gatehouse.host': 'ok.test', 'gatehouse.path': 'no-slash' }, /^gatehouse\.path: expected a path like/],
    [{ 'gatehouse.stripPrefix': '/x' }, /gatehouse\.stripPrefix: needs gatehouse\.host or gatehouse\.path/],
  ]
  for (const [labels, reason] of bad) {
    it(JSON.stringify(labels), () => {
      const good = c({ name: 'good', labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '8001', 'gatehouse.host': 'good.test' } })
      const broken = c({ name: 'broken', labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '8002', ...labels } })
      const r = translate([broken, good], settings())
      assert.deepEqual(r.skipped.map((s) => s.name), ['broken'])
      assert.match(r.skipped[0]!.reason, reason)
      assert.deepEqual(pools([broken, good], settings()), { web: ['http://127.0.0.1:8001'] })
      assert.deepEqual(r.snapshot.routes, [{ host: 'good.test', path: '/*', pool: 'web' }])
    })
  }

  it('a bad pool name is skipped; several problems are all named', () => {
    const r = readLabels({ 'gatehouse.pool': 'no/slash', 'gatehouse.weight': 'x' }, 'gatehouse')
    assert.deepEqual(r.ok ? [] : r.problems, ['gatehouse.weight: "x" is not a whole number from 1 to 1000', 'gatehouse.pool: "no/slash" is not a pool name (letters, digits, "_", "." or "-")'])
  })

  it('labels under another prefix are read when configured, gatehouse.* ignored then', () => {
    const box = c({ labels: { 'edge.pool': 'web', 'edge.port': '8005', 'gatehouse.bogus': 'x' } })
    const s = { ...settings({ pool: 'web' }), prefix: 'edge', selection: selection({ prefix: 'edge' }, 'web') }
    assert.equal((translate([box], s).snapshot.pools.web![0] as { url: string }).url, 'http://127.0.0.1:8005')
  })
})

describe('docker events and the tracker', () => {
  it('parses Docker event JSON', () => {
    const base = { Type: 'container', Actor: { ID: 'abc', Attributes: { name: 'w1' } }, time: 1, timeNano: 1_500_000_000 }
    assert.deepEqual(parseEvent({ ...base, Action: 'start' }), { id: 'abc', at: 1500, action: 'start' })
    assert.deepEqual(parseEvent({ ...base, Action: 'kill', Actor: { ID: 'abc', Attributes: { signal: '15' } } }), { id: 'abc', at: 1500, action: 'kill', signal: '15' })
    assert.deepEqual(parseEvent({ ...base, Action: 'health_status: unhealthy' }), { id: 'abc', at: 1500, action: 'health', health: 'unhealthy' })
    assert.equal(parseEvent({ ...base, Action: 'exec_start: sh -c true' }), undefined)
    assert.equal(parseEvent({ ...base, Type: 'network', Action: 'connect' }), undefined)
    assert.equal(parseEvent('garbage'), undefined)
  })

  it('a kill is a stop only with a stopping signal or the container\'s own STOPSIGNAL', () => {
    for (const s of ['15', '9', '2', '3', 'SIGTERM', 'KILL', '??']) assert.ok(isStopSignal(s), s)
    for (const s of ['1', '10', '12', '28', 'SIGHUP']) assert.ok(!isStopSignal(s), s)
    assert.ok(isStopSignal('28', 'SIGWINCH'), 'httpd images stop with WINCH')
    assert.ok(isStopSignal('1', '1'))
  })

  const ev = (action: string, at = 2_000, extra: object = {}) => parseEvent({ Type: 'container', Action: action, Actor: { ID: 'x', Attributes: extra }, timeNano: at * 1e6 })!
  const up = (over: Partial<ContainerFacts> = {}) => c({ id: 'x', name: 'x', ...over })
  const state = (t: ContainerTracker) => t.containers().map((k) => (!k.running ? 'stopped' : k.stopping ? 'stopping' : k.paused ? 'paused' : k.health ?? 'up'))

  it('kill takes a container out at once and keeps it out until it runs again', () => {
    const t = new ContainerTracker()
    t.applyList([up()], t.beginRead())
    t.onEvent(ev('kill', 2_000, { signal: '15' }))
    assert.deepEqual(state(t), ['stopping'])
    t.onEvent(ev('health_status: healthy', 2_100))
    assert.deepEqual(state(t), ['stopping'], 'health checks keep running during the stop timeout')
    t.applyList([up()], t.beginRead())
    assert.deepEqual(state(t), ['stopping'], 'a re-list of the same run keeps it out')
    t.applyList([up({ startedAt: 3_000 })], t.beginRead())
    assert.deepEqual(state(t), ['up'], 'a re-list showing a new run (missed die/start) brings it back')
  })

  it('a reload signal (HUP) does not take it out; die stops it (asleep, still known), destroy forgets it; start brings it back via inspect', () => {
    const t = new ContainerTracker()
    t.applyList([up()], t.beginRead())
    assert.equal(t.onEvent(ev('kill', 2_000, { signal: '1' })), false)
    assert.deepEqual(state(t), ['up'])
    assert.equal(t.onEvent(ev('die')), true, 'die asks for an inspect (a restart policy may bring it back)')
    assert.deepEqual(state(t), ['stopped'])
    t.onEvent(ev('destroy'))
    assert.deepEqual(state(t), [])
    const early = t.beginRead()
    assert.equal(t.onEvent(ev('start', 3_000)), true, 'start asks for an inspect')
    assert.equal(t.applyInspect('x', up({ startedAt: 3_000 }), early), false, 'an inspect started before the event is overtaken')
    assert.equal(t.applyInspect('x', up({ startedAt: 3_000 }), t.beginRead()), true)
    assert.deepEqual(state(t), ['up'])
  })

  it('a slow inspect cannot undo a newer kill or die', () => {
    const t = new ContainerTracker()
    const early = t.beginRead()
    t.onEvent(ev('start', 1_000))
    t.onEvent(ev('kill', 2_000, { signal: '15' }))
    assert.equal(t.applyInspect('x', up({ startedAt: 1_000 }), early), false)
    assert.equal(t.applyInspect('x', up({ startedAt: 1_000 }), t.beginRead()), true)
    assert.deepEqual(state(t), ['stopping'], 'the kill came after this run started')
    const before = t.beginRead()
    t.onEvent(ev('die', 2_500))
    t.applyList([up({ startedAt: 1_000 })], before)
    assert.deepEqual(state(t), ['stopped'], 'a list that started before the die keeps the die')
    t.applyList([up({ running: false, startedAt: 1_000 })], t.beginRead())
    assert.deepEqual(state(t), ['stopped'], 'a re-list keeps a stopped container (asleep)')
    t.applyList([], t.beginRead())
    assert.deepEqual(state(t), [], 'one no longer listed (removed) is forgotten')
  })

  it('pause, unpause and health events apply at once', () => {
    const t = new ContainerTracker()
    t.applyList([up({ health: 'starting' })], t.beginRead())
    assert.deepEqual(state(t), ['starting'])
    t.onEvent(ev('health_status: healthy'))
    assert.deepEqual(state(t), ['healthy'])
    t.onEvent(ev('pause'))
    assert.deepEqual(state(t), ['paused'])
    assert.equal(t.onEvent(ev('unpause')), true)
    assert.deepEqual(state(t), ['healthy'])
  })

  it('a re-list drops containers it no longer shows, unless an event touched them meanwhile', () => {
    const t = new ContainerTracker()
    t.applyList([up(), c({ id: 'y', name: 'y' })], t.beginRead())
    const list = t.beginRead()
    t.onEvent({ id: 'z', at: 5, action: 'start' })
    t.applyInspect('z', c({ id: 'z', name: 'z' }), t.beginRead())
    t.applyList([up()], list)
    assert.deepEqual(t.containers().map((k) => k.id).sort(), ['x', 'z'])
  })
})

describe('docker facts and options', () => {
  it('reads an inspect result', () => {
    const info = {
      Id: 'abc', Name: '/web-1',
      Created: '2026-11-21T22:01:20.5Z',
      State: { Running: true, Paused: false, Restarting: false, StartedAt: '2026-11-21T22:01:23.682658158Z', Health: { Status: 'starting' } },
      Config: { Image: 'myapp:1', Labels: { a: 'b' }, ExposedPorts: { '8000/tcp': {}, '53/udp': {} }, StopSignal: 'SIGQUIT' },
      HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Ports: { '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '49153' }], '9000/tcp': null }, Networks: { bridge: { IPAddress: '172.17.0.2' } } },
    } as unknown as ContainerInspectInfo
    assert.deepEqual(factsFromInspect(info), {
      id: 'abc', name: 'web-1', image: 'myapp:1', labels: { a: 'b' }, running: true, paused: false, restarting: false,
      startedAt: Date.parse('2026-11-21T22:01:23.682Z'), createdAt: Date.parse('2026-11-21T22:01:20.5Z'), health: 'starting', stopSignal: 'SIGQUIT',
      networkMode: 'bridge', networks: { bridge: '172.17.0.2' }, exposed: [8000, 9000],
      published: { 8000: [{ hostIp: '0.0.0.0', hostPort: 49153 }] },
    })
  })

  it('validates its options at the factory call, naming the field', () => {
    assert.throws(() => assertValidPlugin(docker({ label: '=web' })), /docker\(\): label: expected a label selector/)
    assert.throws(() => assertValidPlugin(docker({ containerPort: 0 })), /docker\(\): containerPort: /)
    assert.throws(() => assertValidPlugin(docker({ resync: 'often' })), /docker\(\): resync: expected a duration/)
    assert.throws(() => assertValidPlugin(docker({ hostAddress: 'a b' })), /docker\(\): hostAddress: expected an IP address or host name/)
    assert.throws(() => assertValidPlugin(docker({ sockPath: '/x' } as never)), /docker\(\): sockPath: unknown field/)
    assert.equal(docker({ label: ['a=1', 'b'], image: 'myapp', resync: '5s' }).name, 'docker')
  })
})
