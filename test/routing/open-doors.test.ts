// A pool guarded by one route and reachable unguarded through another: the config check warns, naming both.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { routeSchema, type RouteInput } from '../../core/config/route-schema.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { openDoors, pathsOverlap } from '../../core/routing/open-doors.ts'

const guard: MiddlewarePlugin = { kind: 'middleware', name: 'jwt', guards: 'jwt', setup: () => async (_c, next) => next() }
const plainMw = async (_c: unknown, next: () => Promise<void>) => next()
const routes = (...r: RouteInput[]) => r.map((x) => routeSchema.parse(x))

const rows: [string, RouteInput[], RegExp[]][] = [
  ["the issue's case: guarded admin path on one host, a catch-all with no host", [
    { host: 'api.example.com', path: '/admin/*', pool: 'api', use: [guard as never] },
    { path: '/*', pool: 'api' },
  ], [/^routes\[1\] \(any host, path \/\*\) reaches pool "api" without auth, while routes\[0\] \(host api\.example\.com, path \/admin\/\*\) guards it with jwt/]],
  ['another host with the same path', [
    { host: 'api.example.com', path: '/admin/*', pool: 'api', use: [guard as never] },
    { host: 'www.example.com', path: '/admin/:page', pool: 'api' },
  ], [/^routes\[1\] .*routes\[0\]/]],
  ['a wildcard host wider than the guarded one', [
    { host: 'a.example.com', pool: 'api', use: [guard as never] },
    { host: '*.example.com', path: '/x', pool: 'api' },
  ], [/^routes\[1\]/]],
  ['a public carve-out inside the guarded host: on purpose', [
    { host: 'api.example.com', pool: 'api', use: [guard as never] },
    { host: 'api.example.com', path: '/health', pool: 'api' },
  ], []],
  ['a host the guarded wildcard covers', [
    { host: '*.example.com', pool: 'api', use: [guard as never] },
    { host: 'a.example.com', path: '/public/*', pool: 'api' },
  ], []],
  ['another pool', [{ host: 'a.test', pool: 'api', use: [guard as never] }, { pool: 'web' }], []],
  ['paths that cannot meet', [{ host: 'a.test', path: '/admin/*', pool: 'api', use: [guard as never] }, { path: '/public/*', pool: 'api' }], []],
  ['middleware that guards nothing does not count as a guard', [{ host: 'a.test', pool: 'api', use: [guard as never] }, { pool: 'api', use: [plainMw as never] }], [/^routes\[1\]/]],
  ['both guarded', [{ host: 'a.test', pool: 'api', use: [guard as never] }, { pool: 'api', use: [guard as never] }], []],
]

test('open doors: warned exactly where a request with another Host walks around a guard', async (t) => {
  for (const [name, input, expected] of rows) {
    await t.test(name, () => {
      const warnings = openDoors(routes(...input))
      assert.equal(warnings.length, expected.length, warnings.join('\n'))
      expected.forEach((re, i) => assert.match(warnings[i]!, re))
    })
  }
})

test('path overlap follows the route path rules', () => {
  const cases: [string, string, boolean][] = [
    ['/admin/*', '/*', true], ['/admin/*', '/admin', true], ['/admin/*', '/public/*', false], ['/users/:id', '/users/42', true],
    ['/users/:id', '/users/42/x', false], ['/users/:id/*', '/users/42/x', true], ['/a', '/b', false], ['/a/b', '/a/:x', true],
  ]
  for (const [a, b, want] of cases) {
    assert.equal(pathsOverlap(a, b), want, `${a} ~ ${b}`)
    assert.equal(pathsOverlap(b, a), want, `${b} ~ ${a}`)
  }
})
