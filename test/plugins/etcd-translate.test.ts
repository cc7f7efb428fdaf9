/** The etcd plugin's pure halves, as tables: keys → snapshot (the reader), snapshot → keys (the writers). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DiscoverySnapshot } from '../../core/types.ts'
import { encodeUpstream, fnv1a, keyName, snapshotToKeys } from '../../plugins/etcd/encode.ts'
import { classify, parseServer, toSnapshot, type Layout } from '../../plugins/etcd/translate.ts'

const POOL: Layout = { prefix: '/app/servers/', pool: 'app', routesPrefix: '/gatehouse/routes/' }
const TOP: Layout = { prefix: '/gatehouse/pools/', routesPrefix: '/gatehouse/routes/' }

describe('etcd translation: server values', () => {
  const cases: [string, string, unknown][] = [
    ['seed 004 host:port', '10.0.0.5:8000', { id: 'k', url: 'http://10.0.0.5:8000' }],
    ['surrounding whitespace (etcdctl put with a newline)', '  127.0.0.1:8001\n', { id: 'k', url: 'http://127.0.0.1:8001' }],
    ['a hostname', 'app1.internal:80', { id: 'k', url: 'http://app1.internal:80' }],
    ['IPv6 host:port', '[::1]:8000', { id: 'k', url: 'http://[::1]:8000' }],
    ['an https URL', 'https://10.0.0.5:8443', { id: 'k', url: 'https://10.0.0.5:8443' }],
    ['a URL with a trailing slash', 'http://10.0.0.5:8000/', { id: 'k', url: 'http://10.0.0.5:8000/' }],
    ['JSON url only', '{"url":"http://10.0.0.5:8000"}', { id: 'k', url: 'http://10.0.0.5:8000', weight: 1, labels: {} }],
    ['JSON with weight and labels', '{"url":"http://h:1","weight":3,"labels":{"zone":"a"}}', { id: 'k', url: 'http://h:1', weight: 3, labels: { zone: 'a' } }],
  ]
  for (const [name, value, expected] of cases) it(`accepts ${name}`, () => assert.deepEqual(parseServer('k', value), expected))

  const bad: [string, string, RegExp][] = [
    ['an empty value', '', /expected host:port, a URL or JSON/],
    ['a host without port', '10.0.0.5', /expected host:port/],
    ['a URL with a path', 'http://10.0.0.5:8000/app', /expected an upstream URL/],
    ['another scheme', 'tcp://10.0.0.5:8000', /expected an upstream URL/],
    ['broken JSON', '{"url":', /invalid JSON/],
    ['JSON without url', '{"weight":2}', /url: /],
    ['JSON with a zero weight', '{"url":"http://h:1","weight":0}', /weight: /],
    ['JSON with an unknown field', '{"url":"http://h:1","wieght":2}', /wieght: unknown field/],
    ['JSON naming its own id', '{"url":"http://h:1","id":"x"}', /id is the etcd key/],
    ['a port out of range', '127.0.0.1:99999', /expected an upstream URL/],
  ]
  for (const [name, value, reason] of bad) {
    it(`skips ${name}`, () => {
      const out = parseServer('k', value)
      assert.equal(typeof out, 'string')
      assert.match(out as string, reason)
    })
  }
})

describe('etcd translation: key layout', () => {
  it('under a pool, every key below the prefix feeds that pool, sorted by key, id = key', () => {
    const { snapshot, problems } = toSnapshot(
      [['/app/servers/b', '127.0.0.1:8002'], ['/app/servers/a', '127.0.0.1:8001'], ['/app/servers/deep/c', '127.0.0.1:8003']],
      POOL,
    )
    assert.deepEqual(problems, [])
    assert.deepEqual(snapshot, {
      pools: {
        app: [
          { id: '/app/servers/a', url: 'http://127.0.0.1:8001' },
          { id: '/app/servers/b', url: 'http://127.0.0.1:8002' },
          { id: '/app/servers/deep/c', url: 'http://127.0.0.1:8003' },
        ],
      },
      routes: [],
    })
  })

  it('under a pool, no keys is an empty pool (etcd says so), not a missing one', () => {
    assert.deepEqual(toSnapshot([], POOL).snapshot, { pools: { app: [] }, routes: [] })
  })

  it('at the top level, <prefix><pool>/<name> names the pool', () => {
    const { snapshot, problems } = toSnapshot(
      [
        ['/gatehouse/pools/web/a', '127.0.0.1:8001'],
        ['/gatehouse/pools/api/x', '{"url":"http://127.0.0.1:9001","weight":2}'],
        ['/gatehouse/pools/web/b', '127.0.0.1:8002'],
        ['/gatehouse/pools/loose', '127.0.0.1:1'],
        ['/gatehouse/pools//empty-pool', '127.0.0.1:2'],
        ['/gatehouse/pools/web/', '127.0.0.1:3'],
      ],
      TOP,
    )
    assert.deepEqual(Object.keys(snapshot.pools).sort(), ['api', 'web'])
    assert.deepEqual(snapshot.pools.web!.map((u) => (u as { id: string }).id), ['/gatehouse/pools/web/a', '/gatehouse/pools/web/b'])
    assert.deepEqual(snapshot.pools.api, [{ id: '/gatehouse/pools/api/x', url: 'http://127.0.0.1:9001', weight: 2, labels: {} }])
    assert.equal(problems.length, 3)
    for (const p of problems) assert.match(p, /expected a key like \/gatehouse\/pools\/<pool>\/<name>/)
  })

  it('a bad key is skipped with a problem naming it; the others stay', () => {
    const { snapshot, problems } = toSnapshot([['/app/servers/a', '127.0.0.1:8001'], ['/app/servers/bad', 'not an address']], POOL)
    assert.equal(snapshot.pools.app!.length, 1)
    assert.equal(problems.length, 1)
    assert.match(problems[0]!, /^\/app\/servers\/bad: expected host:port/)
  })

  it('keys outside both prefixes are ignored', () => {
    const { snapshot, problems } = toSnapshot([['/other/x', 'junk']], POOL)
    assert.deepEqual(snapshot, { pools: { app: [] }, routes: [] })
    assert.deepEqual(problems, [])
  })

  const layouts: [string, Layout, string, ReturnType<typeof classify>][] = [
    ['a server key', POOL, '/app/servers/a', 'server'],
    ['a route key', POOL, '/gatehouse/routes/a', 'route'],
    ['routes nested in the server prefix: the longer prefix wins', { prefix: '/gh/', routesPrefix: '/gh/routes/' }, '/gh/routes/a', 'route'],
    ['servers nested in the routes prefix', { prefix: '/gh/servers/', routesPrefix: '/gh/' }, '/gh/servers/a', 'server'],
    ['routes switched off', { ...POOL, routesPrefix: false }, '/gatehouse/routes/a', undefined],
    ['neither', POOL, '/elsewhere', undefined],
  ]
  for (const [name, layout, key, expected] of layouts) it(`classifies ${name}`, () => assert.equal(classify(key, layout), expected))
})

describe('etcd translation: routes', () => {
  it('each route key holds one JSON route; its name defaults to the key name', () => {
    const { snapshot, problems } = toSnapshot(
      [
        ['/gatehouse/routes/blog', '{"host":"blog.example.com","pool":"app"}'],
        ['/gatehouse/routes/api', '{"name":"the-api","host":"api.example.com","path":"/v1/*","pool":"api","stripPrefix":"/v1"}'],
      ],
      POOL,
    )
    assert.deepEqual(problems, [])
    assert.deepEqual(snapshot.routes, [
      { name: 'the-api', host: 'api.example.com', path: '/v1/*', pool: 'api', stripPrefix: '/v1' },
      { name: 'blog', host: 'blog.example.com', pool: 'app' },
    ])
  })

  const bad: [string, string, RegExp][] = [
    ['not JSON', 'blog.example.com', /invalid JSON/],
    ['an array', '[{"pool":"app"}]', /expected a JSON object/],
    ['no pool', '{"host":"blog.example.com"}', /pool: /],
    ['a bad host', '{"host":"bad host!","pool":"app"}', /host: expected a host/],
    ['a bad path', '{"path":"no-slash","pool":"app"}', /path: expected a path/],
    ['an unknown field', '{"pool":"app","hots":"x.example.com"}', /hots: unknown field/],
  ]
  for (const [name, value, reason] of bad) {
    it(`skips a route that is ${name}, naming the key`, () => {
      const { snapshot, problems } = toSnapshot([['/gatehouse/routes/r', value], ['/gatehouse/routes/ok', '{"pool":"app"}']], POOL)
      assert.deepEqual(snapshot.routes, [{ name: 'ok', pool: 'app' }])
      assert.equal(problems.length, 1)
      assert.match(problems[0]!, /^\/gatehouse\/routes\/r: /)
      assert.match(problems[0]!, reason)
    })
  }

  it('with routesPrefix false the snapshot carries no routes (the core keeps what others report)', () => {
    assert.equal(toSnapshot([['/gatehouse/routes/r', '{"pool":"app"}']], { ...POOL, routesPrefix: false }).snapshot.routes, undefined)
  })
})

describe('etcd encoding (the writers: register, registrator)', () => {
  const snapshot: DiscoverySnapshot = {
    pools: {
      web: [
        { id: 'a'.repeat(64), url: 'http://10.0.0.5:49153', weight: 1, labels: { container: 'web1', image: 'myapp' } },
        { id: 'b'.repeat(64), url: 'http://10.0.0.5:49154', weight: 2, labels: {} },
      ],
      api: ['http://10.0.0.5:9001'],
    },
    routes: [{ host: 'app.example.com', path: '/*', pool: 'web' }],
  }
  const keys = snapshotToKeys(snapshot, { poolsPrefix: '/gatehouse/pools/', routesPrefix: '/gatehouse/routes/', instance: 'host A' })

  it('writes <prefix><pool>/<instance>-<short id>, JSON values without defaults, one key per route', () => {
    assert.deepEqual([...keys.keys()], [
      '/gatehouse/pools/api/host-A-10.0.0.5:9001',
      '/gatehouse/pools/web/host-A-aaaaaaaaaaaa',
      '/gatehouse/pools/web/host-A-bbbbbbbbbbbb',
      `/gatehouse/routes/host-A/web-${fnv1a(JSON.stringify(snapshot.routes![0]))}`,
    ])
    assert.equal(keys.get('/gatehouse/pools/web/host-A-aaaaaaaaaaaa'), '{"url":"http://10.0.0.5:49153","labels":{"container":"web1","image":"myapp"}}')
    assert.equal(keys.get('/gatehouse/pools/web/host-A-bbbbbbbbbbbb'), '{"url":"http://10.0.0.5:49154","weight":2}')
  })

  it('reads back (top-level layout) as the same pools and routes', () => {
    const { snapshot: back, problems } = toSnapshot(keys, TOP)
    assert.deepEqual(problems, [])
    const urls = (pool: string) => back.pools[pool]!.map((u) => (u as { url: string }).url)
    assert.deepEqual(urls('web'), ['http://10.0.0.5:49153', 'http://10.0.0.5:49154'])
    assert.deepEqual(urls('api'), ['http://10.0.0.5:9001'])
    assert.equal((back.routes![0] as { host: string }).host, 'app.example.com')
  })

  it('the same route written by two hosts is one route', () => {
    const other = snapshotToKeys(snapshot, { poolsPrefix: '/gatehouse/pools/', routesPrefix: '/gatehouse/routes/', instance: 'hostB' })
    const { snapshot: back } = toSnapshot([...keys, ...other], TOP)
    assert.equal(back.routes!.length, 1)
    assert.equal(back.pools.web!.length, 4)
  })

  const names: [string, string][] = [['web', 'web'], ['a/b c', 'a-b-c'], ['//', 'unnamed'], ['127.0.0.1:8000', '127.0.0.1:8000'], ['[::1]:80', '[::1]:80']]
  for (const [text, name] of names) it(`keyName(${JSON.stringify(text)}) = ${name}`, () => assert.equal(keyName(text), name))
  it('encodeUpstream keeps only what is set', () => {
    assert.equal(encodeUpstream({ url: 'http://h:1/' }), '{"url":"http://h:1"}')
    assert.equal(encodeUpstream({ url: 'http://h:1', weight: 1, labels: {} }), '{"url":"http://h:1"}')
  })
})
