// HTTP/2 in the config: upstream URL schemes (h2c://, h2://) and listen.http2, with errors that name the field.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toUpstream, upstreamInputSchema, withPoolProtocol } from '../../core/pools/upstream-input.ts'
import { validateConfig } from '../../core/config/validate.ts'
import { PoolMembers } from '../../core/pools/pool-members.ts'
import { parseRegistry } from '../../plugins/file/parse.ts'
import { parseServer } from '../../plugins/etcd/translate.ts'

describe('upstream URL schemes', () => {
  it('h2c:// is http with protocol h2c; h2:// is https with protocol h2; http(s) stay HTTP/1.1', () => {
    const h2c = toUpstream(upstreamInputSchema.parse('h2c://10.0.0.5:50051'))
    assert.equal(h2c.url.href, 'http://10.0.0.5:50051/')
    assert.equal(h2c.protocol, 'h2c')
    assert.equal(h2c.id, 'http://10.0.0.5:50051')
    const h2 = toUpstream(upstreamInputSchema.parse({ url: 'h2://api.internal:8443', weight: 2 }))
    assert.equal(h2.url.origin, 'https://api.internal:8443')
    assert.equal(h2.protocol, 'h2')
    assert.equal(toUpstream('http://127.0.0.1:8000').protocol, undefined)
  })

  it('the file and etcd sources take them as the config does', () => {
    const file = parseRegistry('{ "pools": { "g": ["h2c://10.0.0.5:50051", { "url": "h2://api.internal:8443", "weight": 2 }] } }', undefined)
    assert.deepEqual(file.ok && file.snapshot.pools.g!.map((u) => toUpstream(u).protocol), ['h2c', 'h2'])
    assert.deepEqual(parseServer('/app/servers/a', 'h2c://10.0.0.5:50051'), { url: 'h2c://10.0.0.5:50051', id: '/app/servers/a' })
    assert.equal(typeof parseServer('/app/servers/b', 'h3://10.0.0.5:1'), 'string', 'refused with a reason')
  })

  it('other schemes, paths and queries are refused with the accepted schemes named', () => {
    for (const bad of ['h3://x:1', 'h2c://x:1/path', 'grpc://x:1']) {
      const r = upstreamInputSchema.safeParse(bad)
      assert.equal(r.success, false, bad)
      assert.match(JSON.stringify(r.error!.issues), /http, https, h2c or h2/)
    }
  })
})

describe("a pool's protocol", () => {
  it('defaults to http1; another value is an error naming pools.<name>.protocol and the accepted ones', () => {
    assert.equal(validateConfig({ pools: { a: { upstreams: ['http://127.0.0.1:1'] } } }).pools.a!.protocol, 'http1')
    assert.equal(validateConfig({ pools: { a: { upstreams: ['http://127.0.0.1:1'], protocol: 'h2c' } } }).pools.a!.protocol, 'h2c')
    assert.throws(() => validateConfig({ pools: { grpc: { upstreams: ['http://127.0.0.1:1'], protocol: 'http2' as never } } }), /pools\.grpc\.protocol: expected "http1", "h2c" or "h2"/)
  })

  it('applies to upstreams whose URL names no protocol; h2c:// and h2:// win; TLS is never dropped', () => {
    const as = (url: string, protocol: 'http1' | 'h2c' | 'h2') => {
      const up = withPoolProtocol(toUpstream(url), protocol)
      return `${up.url.origin} ${up.protocol ?? 'http1'} ${up.id}`
    }
    assert.equal(as('http://10.0.0.5:50051', 'h2c'), 'http://10.0.0.5:50051 h2c http://10.0.0.5:50051')
    assert.equal(as('http://10.0.0.5:8443', 'h2'), 'https://10.0.0.5:8443 h2 http://10.0.0.5:8443', 'h2 is TLS, as h2:// is; the id stays')
    assert.equal(as('https://10.0.0.5:8443', 'h2c'), 'https://10.0.0.5:8443 h2 https://10.0.0.5:8443')
    assert.equal(as('https://10.0.0.5:8443', 'h2'), 'https://10.0.0.5:8443 h2 https://10.0.0.5:8443')
    assert.equal(as('http://10.0.0.5:8000', 'http1'), 'http://10.0.0.5:8000 http1 http://10.0.0.5:8000')
    assert.equal(as('h2c://10.0.0.5:50051', 'h2'), 'http://10.0.0.5:50051 h2c http://10.0.0.5:50051', "the upstream's own wins")
    assert.equal(as('h2://10.0.0.5:8443', 'h2c'), 'https://10.0.0.5:8443 h2 https://10.0.0.5:8443')
  })
})

describe("a pool's members", () => {
  it('an upstream whose protocol alone changed (h2c://x → http://x, same id) is a change, and its client is retired', () => {
    const members = new PoolMembers('g')
    members.apply([toUpstream('h2c://10.0.0.5:50051')], 0)
    const plain = toUpstream('http://10.0.0.5:50051')
    assert.equal(members.same([plain]), false)
    const changes = members.apply([plain], 0)
    assert.deepEqual(changes.updated.map((u) => u.protocol), [undefined])
    assert.deepEqual(changes.retired.map((t) => t.protocol), ['h2c'])
  })
})

describe('listen.http2', () => {
  it('defaults: h2 by ALPN on, h2c off, 100 streams', () => {
    assert.deepEqual(validateConfig({}).listen.http2, { enabled: true, h2c: false, maxConcurrentStreams: 100 })
  })

  it('h2c with tls is an error on listen.http2.h2c; a bad stream count names its field', () => {
    assert.throws(() => validateConfig({ listen: { http2: { h2c: true }, tls: { certificates: [{ cert: 'a.pem', key: 'a.key' }] } } }), /listen\.http2\.h2c: h2c is cleartext HTTP\/2/)
    assert.throws(() => validateConfig({ listen: { http2: { maxConcurrentStreams: 0 } } }), /listen\.http2\.maxConcurrentStreams/)
    assert.throws(() => validateConfig({ listen: { http2: { h2: true } } as never }), /listen\.http2/)
  })
})
