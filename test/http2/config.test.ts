// HTTP/2 in the config: upstream URL schemes (h2c://, h2://) and listen.http2, with errors that name the field.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toUpstream, upstreamInputSchema } from '../../core/pools/upstream-input.ts'
import { validateConfig } from '../../core/config/validate.ts'

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

  it('other schemes, paths and queries are refused with the accepted schemes named', () => {
    for (const bad of ['h3://x:1', 'h2c://x:1/path', 'grpc://x:1']) {
      const r = upstreamInputSchema.safeParse(bad)
      assert.equal(r.success, false, bad)
      assert.match(JSON.stringify(r.error!.issues), /http, https, h2c or h2/)
    }
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
