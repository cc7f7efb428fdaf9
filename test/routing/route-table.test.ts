// Table tests for the route table and the host/path rules it is built from.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RouteTable, type RouteRule } from '../../core/routing/route-table.ts'
import { compilePath, isPathPattern, matchPath } from '../../core/routing/path-pattern.ts'
import { isHostPattern, normalizeHost, wildcardKey } from '../../core/routing/host-pattern.ts'
import { mulberry32 } from '../support/prng.ts'

type Rule = Omit<RouteRule<string>, 'payload'> & { id: string }

const table = (rules: Rule[]) => new RouteTable(rules.map(({ id, ...r }) => ({ ...r, payload: id })))

interface Req { host?: string; path: string; method?: string; headers?: Record<string, string> }

/** Matches a request (host normalized as the gateway does) and returns the winning payload. */
function lookup(t: RouteTable<string>, req: Req) {
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
  return t.match({
    host: normalizeHost(req.host ?? 'example.org'),
    method: req.method ?? 'GET',
    path: req.path,
    header: (name) => headers[name.toLowerCase()],
  })
}

const winner = (t: RouteTable<string>, req: Req) => lookup(t, req)?.payload

test('host tiers: exact host > *. wildcard > any host, falling through when a tier has no path match', () => {
  const t = table([
    { id: 'any', path: '/*' },
    { id: 'wild', hosts: ['*.example.com'], path: '/*' },
    { id: 'exact', hosts: ['api.example.com'], path: '/*' },
    { id: 'exact-only', hosts: ['only.example.com'], path: '/only' },
  ])
  const rows: [string, string, string][] = [
    ['api.example.com', '/x', 'exact'],
    ['www.example.com', '/x', 'wild'],
    ['only.example.com', '/only', 'exact-only'],
    ['only.example.com', '/other', 'wild'], // exact host has no matching path: next tier
    ['example.com', '/x', 'any'], // the apex is not covered by *.example.com
    ['a.b.example.com', '/x', 'any'], // * is exactly one label
    ['other.org', '/x', 'any'],
  ]
  for (const [host, path, want] of rows) assert.equal(winner(t, { host, path }), want, `${host}${path}`)
})

test('hosts are case-insensitive and the request port is ignored', () => {
  const t = table([{ id: 'api', hosts: ['API.Example.com'], path: '/*' }, { id: 'wild', hosts: ['*.EXAMPLE.org'], path: '/*' }])
  for (const host of ['api.example.com', 'API.EXAMPLE.COM', 'Api.Example.Com:8443', 'api.example.com.']) {
    assert.equal(winner(t, { host, path: '/' }), 'api', host)
  }
  assert.equal(winner(t, { host: 'WWW.example.ORG:80', path: '/' }), 'wild')
  assert.equal(winner(t, { host: 'api.example.net', path: '/' }), undefined)
})

test('path precedence: exact > longer literal prefix > params > /*, regardless of config order', () => {
  const t = table([
    { id: 'all', path: '/*' },
    { id: 'param-root', path: '/:page' },
    { id: 'users-rest', path: '/users/*' },
    { id: 'users-id', path: '/users/:id' },
    { id: 'users-me-rest', path: '/users/me/*' },
    { id: 'users-me', path: '/users/me' },
  ])
  const rows: [string, string][] = [
    ['/users/me', 'users-me'], // exact beats everything
    ['/users/me/posts', 'users-me-rest'], // longer literal prefix
    ['/users/42', 'users-id'], // a param beats a rest with the same literal prefix
    ['/users/42/posts', 'users-rest'],
    ['/users', 'users-rest'], // /users/* also matches /users
    ['/about', 'param-root'], // a param beats /*
    ['/a/b', 'all'],
  ]
  for (const [path, want] of rows) assert.equal(winner(t, { path }), want, path)
})

test('a longer literal prefix beats a shorter prefix with a param', () => {
  const t = table([{ id: 'param', path: '/a/:x' }, { id: 'rest', path: '/a/b/*' }])
  assert.equal(winner(t, { path: '/a/b' }), 'rest')
  assert.equal(winner(t, { path: '/a/c' }), 'param')
})

test('at equal path specificity, more conditions first; config order breaks the last tie', () => {
  const t = table([
    { id: 'plain', path: '/x' },
    { id: 'get', path: '/x', methods: ['GET'] },
    { id: 'get+tenant', path: '/x', methods: ['GET'], headers: { 'X-Tenant': 'a' } },
    { id: 'plain-again', path: '/x' },
    { id: 'rest-1', path: '/api/*' },
    { id: 'rest-2', path: '/api/*' },
  ])
  assert.equal(winner(t, { path: '/x', headers: { 'x-tenant': 'a' } }), 'get+tenant')
  assert.equal(winner(t, { path: '/x', headers: { 'x-tenant': 'b' } }), 'get')
  assert.equal(winner(t, { path: '/x', method: 'POST' }), 'plain')
  assert.equal(winner(t, { path: '/api/v1' }), 'rest-1')
})

test('/api/* matches /api, /api/ and everything below, but not /apix', () => {
  const t = table([{ id: 'api', path: '/api/*' }])
  const rows: [string, boolean][] = [['/api', true], ['/api/', true], ['/api/x', true], ['/api/x/y', true], ['/apix', false], ['/ap', false], ['/', false], ['/v1/api', false]]
  for (const [path, hit] of rows) assert.equal(winner(t, { path }), hit ? 'api' : undefined, path)
})

test('params are captured, one segment each, with a rest after them', () => {
  const t = table([
    { id: 'post', path: '/users/:id/posts/:post' },
    { id: 'files', path: '/files/:bucket/*' },
    { id: 'exact', path: '/plain' },
  ])
  assert.deepEqual(lookup(t, { path: '/users/42/posts/7' }), { payload: 'post', params: { id: '42', post: '7' } })
  assert.deepEqual(lookup(t, { path: '/files/b1/a/b.txt' }), { payload: 'files', params: { bucket: 'b1' } })
  assert.deepEqual(lookup(t, { path: '/plain' }), { payload: 'exact', params: {} })
  assert.equal(lookup(t, { path: '/users/42/posts' }), undefined) // a param needs a segment
  assert.equal(lookup(t, { path: '/users//posts/7' }), undefined) // and a non-empty one
})

test('method conditions (case-insensitive in the rule) and header conditions (exact value or presence)', () => {
  const t = table([
    { id: 'write', path: '/r', methods: ['post', 'PUT'] },
    { id: 'beta', path: '/h', headers: { 'X-Beta': true } },
    { id: 'v2', path: '/v', headers: { Accept: 'application/v2' } },
  ])
  const rows: [Req, string | undefined][] = [
    [{ path: '/r', method: 'POST' }, 'write'],
    [{ path: '/r', method: 'PUT' }, 'write'],
    [{ path: '/r', method: 'GET' }, undefined],
    [{ path: '/h', headers: { 'x-beta': '1' } }, 'beta'],
    [{ path: '/h', headers: { 'x-beta': '' } }, 'beta'], // present, even if empty
    [{ path: '/h' }, undefined],
    [{ path: '/v', headers: { accept: 'application/v2' } }, 'v2'],
    [{ path: '/v', headers: { accept: 'application/v1' } }, undefined],
    [{ path: '/v' }, undefined],
  ]
  for (const [req, want] of rows) assert.equal(winner(t, req), want, JSON.stringify(req))
})

test('no route matches: undefined (empty table too)', () => {
  assert.equal(winner(table([]), { path: '/' }), undefined)
  assert.equal(winner(table([{ id: 'a', hosts: ['a.example.com'], path: '/*' }]), { host: 'b.example.com', path: '/' }), undefined)
})

test('10,000 routes on distinct hosts: each lookup still finds its own route', () => {
  const rules: Rule[] = []
  for (let i = 0; i < 10_000; i++) rules.push({ id: `r${i}`, hosts: [`h${i}.example.com`], path: i % 2 ? '/*' : `/only/${i}` })
  rules.push({ id: 'wild', hosts: ['*.example.com'], path: '/*' }, { id: 'fallback', path: '/*' })
  const t = table(rules)
  for (const i of [0, 1, 2, 4999, 5000, 9998, 9999]) {
    const exact = i % 2 === 0
    assert.equal(winner(t, { host: `H${i}.Example.com`, path: exact ? `/only/${i}` : '/x' }), `r${i}`, `host ${i}`)
    if (exact) assert.equal(winner(t, { host: `h${i}.example.com`, path: `/only/${i + 2}` }), 'wild', `host ${i} other path`)
  }
  assert.equal(winner(t, { host: 'h10000.example.com', path: '/' }), 'wild')
  assert.equal(winner(t, { host: 'h1.example.net', path: '/' }), 'fallback')
})

test('isPathPattern: leading slash, * only as the last segment, well-formed params', () => {
  const rows: [string, boolean][] = [
    ['/', true], ['/*', true], ['/api/*', true], ['/users/:id', true], ['/users/:id/*', true], ['/a.b-c_d~', true],
    ['', false], ['api', false], ['api/*', false], ['/a/*/b', false], ['/*/x', false], ['/a*', false],
    ['/:', false], ['/:1id', false], ['/a:b', false], ['/users/:id-x', false],
  ]
  for (const [p, ok] of rows) assert.equal(isPathPattern(p), ok, p)
})

test('matchPath on compiled rules: exact paths match only themselves', () => {
  assert.deepEqual(matchPath(compilePath('/a/b'), '/a/b'), {})
  assert.equal(matchPath(compilePath('/a/b'), '/a/b/'), undefined)
  assert.equal(matchPath(compilePath('/a/b'), '/A/B'), undefined)
  assert.deepEqual(matchPath(compilePath('/*'), '/'), {})
  assert.deepEqual(matchPath(compilePath('/a.b/:x'), '/a.b/1'), { x: '1' })
  assert.equal(matchPath(compilePath('/a.b/:x'), '/aXb/1'), undefined) // literals are escaped
})

test('isHostPattern: a name or *.name, no scheme, port, path or inner wildcard', () => {
  const rows: [string, boolean][] = [
    ['example.com', true], ['API.Example.COM', true], ['*.example.com', true], ['localhost', true], ['a-b.c0.io', true], ['[::1]', true],
    ['', false], ['*', false], ['http://example.com', false], ['example.com:8080', false], ['example.com/x', false],
    ['a.*.com', false], ['*example.com', false], ['-a.com', false], ['a..com', false], ['exa mple.com', false],
  ]
  for (const [h, ok] of rows) assert.equal(isHostPattern(h), ok, h)
})

test('normalizeHost and wildcardKey', () => {
  const rows: [string | undefined, string][] = [
    ['Example.COM:8080', 'example.com'], ['example.com.', 'example.com'], ['example.com.:80', 'example.com'],
    ['[::1]:8080', '[::1]'], ['[::1]', '[::1]'], ['localhost', 'localhost'], ['', ''], [undefined, ''],
  ]
  for (const [input, want] of rows) assert.equal(normalizeHost(input), want, String(input))
  assert.equal(wildcardKey('a.example.com'), '.example.com')
  assert.equal(wildcardKey('localhost'), undefined)
  assert.equal(wildcardKey('.example.com'), undefined)
})

// The table indexes patterns by their literal leading segments (core/routing/pattern-index.ts).
// It must pick exactly what a plain scan in precedence order picks: random tables of literal,
// param and rest segments, with method conditions, against random paths over the same words.
test('the indexed lookup agrees with a scan in precedence order (random tables and paths)', () => {
  const rnd = mulberry32(6)
  const pickOf = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
  const words = ['api', 'v1', 'v2', 'users', 'x', '', 'a.b']
  const randomPattern = () => {
    const n = 1 + Math.floor(rnd() * 4)
    const segs: string[] = []
    for (let i = 0; i < n; i++) segs.push(rnd() < 0.25 ? `:p${i}` : pickOf(words.filter(Boolean)))
    if (rnd() < 0.4) segs.push('*')
    return '/' + segs.join('/')
  }
  const randomPath = () => '/' + Array.from({ length: Math.floor(rnd() * 5) }, () => pickOf(words)).join('/')
  for (let round = 0; round < 40; round++) {
    const rules: Rule[] = Array.from({ length: 5 + Math.floor(rnd() * 60) }, (_, i) => ({
      id: `r${i}`,
      path: rnd() < 0.1 ? '/*' : randomPattern(),
      ...(rnd() < 0.2 && { methods: ['POST'] }),
    }))
    const t = table(rules)
    // The reference: every rule, sorted by the documented precedence, first match wins.
    const compiled = rules.map((r, order) => ({ r, order, m: compilePath(r.path) }))
    const score = (c: (typeof compiled)[number]) => (c.m.kind === 'exact' ? 2e9 : c.m.score)
    compiled.sort((a, b) => score(b) - score(a) || (b.r.methods ? 1 : 0) - (a.r.methods ? 1 : 0) || a.order - b.order)
    for (let i = 0; i < 60; i++) {
      const path = randomPath()
      const method = rnd() < 0.5 ? 'GET' : 'POST'
      const want = compiled.find((c) => matchPath(c.m, path) && (!c.r.methods || c.r.methods.includes(method)))?.r.id
      assert.equal(winner(t, { path, method }), want, `round ${round}: ${method} ${path}`)
    }
  }
})

test('10,000 pattern routes: a lookup tests only the patterns on its path, not all of them', () => {
  // Half differ in a literal after a param: the index must branch on params, not stop at them.
  const rules: Rule[] = Array.from({ length: 10_000 }, (_, i) => ({ id: `r${i}`, path: i % 2 ? `/api/v${i}/*` : `/tenants/:id/svc${i}/*` }))
  const t = table(rules)
  assert.equal(winner(t, { path: '/api/v9999/hello' }), 'r9999')
  assert.equal(winner(t, { path: '/tenants/acme/svc9998/x' }), 'r9998')
  assert.equal(winner(t, { path: '/api/v10000/hello' }), undefined)
  // Counted, not timed: every RegExp test the lookup makes goes through RegExp.prototype.exec.
  const exec = RegExp.prototype.exec
  let tests = 0
  RegExp.prototype.exec = function (this: RegExp, s: string) {
    tests++
    return exec.call(this, s)
  }
  try {
    winner(t, { path: '/api/v5001/x' })
    winner(t, { path: '/tenants/acme/svc5000/x' })
  } finally {
    RegExp.prototype.exec = exec
  }
  assert.ok(tests <= 4, `${tests} patterns tested for two lookups`)
})
