// normalizePath: one normalization for matching and forwarding, so a rule on /admin cannot be
// bypassed by dot segments, encoded dots, repeated slashes or encoded letters.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizePath, splitTarget } from '../../core/routing/normalize-path.ts'

function table(rows: [string, string | undefined][]) {
  for (const [input, want] of rows) assert.equal(normalizePath(input), want, JSON.stringify(input))
}

test('dot segments are resolved, never above the root', () => {
  table([
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/../a', '/a'],
    ['/../../a', '/a'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/a/./', '/a/'],
    ['/public/../admin', '/admin'],
    ['/a/b/../../c', '/c'],
    ['/..', '/'],
    ['/.', '/'],
  ])
})

test('encoded dots count as dots', () => {
  table([
    ['/%2e%2e/admin', '/admin'],
    ['/%2E./admin', '/admin'],
    ['/.%2e/admin', '/admin'],
    ['/public/%2e%2E/admin', '/admin'],
    ['/a/%2e/b', '/a/b'],
  ])
})

test('repeated slashes are merged', () => {
  table([
    ['//admin', '/admin'],
    ['/a//b///c', '/a/b/c'],
    ['/a//', '/a/'],
    ['//', '/'],
  ])
})

test('percent-encoded unreserved characters are decoded', () => {
  table([
    ['/%61dmin', '/admin'],
    ['/%41%5A%30%39', '/AZ09'],
    ['/%7E', '/~'],
    ['/%7euser', '/~user'],
    ['/a%2Db%5Fc%2E', '/a-b_c.'],
  ])
})

test('reserved and other escapes are kept, with upper-case hex, and never decoded twice', () => {
  table([
    ['/a%2fb', '/a%2Fb'], // an encoded slash is not a separator
    ['/a%2Fb', '/a%2Fb'],
    ['/%3a', '/%3A'],
    ['/%c3%a9', '/%C3%A9'],
    ['/%20x', '/%20x'],
    ['/%252e%252e/admin', '/%252e%252e/admin'], // %25 stays %25: no double decoding
    ['/%2e%2e%2fadmin', '/..%2Fadmin'], // ".." followed by an encoded slash is one segment, not a dot segment
  ])
})

test('paths that cannot be valid origin-form paths are rejected', () => {
  table([
    ['', undefined],
    ['a/b', undefined],
    ['*', undefined],
    ['/%zz', undefined],
    ['/%', undefined],
    ['/%2', undefined],
    ['/a%g1', undefined],
    ['/%0a', undefined],
    ['/%0D', undefined],
    ['/%00', undefined],
    ['/%7f', undefined],
    ['/a b', undefined],
    ['/a\tb', undefined],
    ['/a\nb', undefined],
    ['/a\x7fb', undefined],
    ['/a\\b', undefined],
    ['/..\\admin', undefined],
  ])
})

test('an already-normal path is returned unchanged', () => {
  for (const p of ['/', '/a', '/a/b/', '/api/v1/users/42', '/a.b', '/a..b', '/.well-known/acme', '/a/..b/c.', '/x;y=1', '/é', "/!$&'()*+,;=:@"]) {
    const out = normalizePath(p)
    assert.equal(out, p, p)
    assert.equal(normalizePath(out!), out, `idempotent: ${p}`)
  }
})

test('normalizing twice changes nothing', () => {
  for (const p of ['/%2e%2e/admin', '/a//b/../c/', '/%61%2fb', '/%7E/./x']) {
    const once = normalizePath(p)!
    assert.equal(normalizePath(once), once, p)
  }
})

test('splitTarget: path and the raw query, split at the first ?', () => {
  const rows: [string, { path: string; query: string }][] = [
    ['/a', { path: '/a', query: '' }],
    ['/a?b=1', { path: '/a', query: '?b=1' }],
    ['/a?', { path: '/a', query: '?' }],
    ['/a?x=1?y=2', { path: '/a', query: '?x=1?y=2' }],
    ['/?q=%zz&a=%2e%2e', { path: '/', query: '?q=%zz&a=%2e%2e' }], // the query is kept byte for byte
    ['/a/../b?c', { path: '/a/../b', query: '?c' }],
  ]
  for (const [target, want] of rows) assert.deepEqual(splitTarget(target), want, target)
})
