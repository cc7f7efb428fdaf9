// The gateway's own HTTP/1.1 response parser (core/runtime/http1/parser.ts), table-driven: what
// it accepts (head, body, reuse) and what it rejects, fed whole and split at every byte boundary.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ResponseParser } from '../../core/runtime/http1/parser.ts'
import { DEFAULT_LIMITS } from '../../core/runtime/http1/limits.ts'
import { Http1Error } from '../../core/runtime/http1/errors.ts'
import { encodeChunk, encodeHead, framing } from '../../core/runtime/http1/serialize.ts'

interface Parsed {
  status: number
  headers: string[]
  body: string
  keepAlive: boolean
  /** The message ended (without needing the connection's end). */
  done: boolean
  extra: number
}

const bytes = (s: string) => Buffer.from(s, 'latin1')

/** Feeds `pieces` in order; `eof` then tells the parser the connection closed. */
function parse(pieces: Uint8Array[], method = 'GET', eof = false): Parsed {
  const p = new ResponseParser(method)
  const out: Uint8Array[] = []
  for (const piece of pieces) {
    if (!p.head) {
      if (p.feedHead(piece) && p.rest.length && !p.done) p.feedBody(p.rest, out)
    } else p.feedBody(piece, out)
  }
  if (!p.head) throw new Error('incomplete head')
  const done = p.done
  if (eof && !p.eof()) throw new Http1Error('reset', 'cut')
  return { status: p.head.status, headers: p.head.headers, body: Buffer.concat(out).toString('latin1'), keepAlive: p.head.keepAlive, done: done || (eof && p.done), extra: p.extra }
}

/** Every split of `raw` into two pieces, and one byte at a time. */
function splits(raw: string): Uint8Array[][] {
  const b = bytes(raw)
  const out: Uint8Array[][] = [[b]]
  for (let i = 1; i < b.length; i++) out.push([b.subarray(0, i), b.subarray(i)])
  out.push(Array.from(b, (_, i) => b.subarray(i, i + 1)))
  return out
}

const ok: [string, string, Partial<Parsed> & { method?: string; eof?: boolean }][] = [
  ['content-length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello', { status: 200, body: 'hello', keepAlive: true, done: true, headers: ['Content-Length', '5', 'X-A', '1'] }],
  ['empty reason, no space', 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n', { status: 200, body: '', done: true }],
  ['chunked with extension and trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\nA \r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n', { body: 'hello0123456789', done: true, keepAlive: true }],
  ['chunked upper-case hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nF\r\n0123456789abcde\r\n0\r\n\r\n', { body: '0123456789abcde', done: true }],
  ['close-delimited', 'HTTP/1.1 200 OK\r\n\r\nuntil the end', { body: 'until the end', keepAlive: false, done: true, eof: true }],
  ['unknown final coding: close-delimited (RFC 9112 §6.3 4)', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz', { body: 'zz', keepAlive: false, eof: true, done: true }],
  ['HEAD ignores the Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', { method: 'HEAD', body: '', done: true, keepAlive: true }],
  ['204 has no body: bytes after it are extra', 'HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc', { status: 204, body: '', done: true, extra: 3 }],
  ['304 has no body', 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n', { status: 304, body: '', done: true }],
  ['100-continue then 200', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', { status: 200, body: 'ok', done: true }],
  ['103 early hints then 200', 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', { status: 200, body: 'ok' }],
  ['bytes past Content-Length are extra', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK', { body: 'ok', done: true, extra: 15 }],
  ['bytes past the last chunk are extra', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK', { body: 'ok', done: true, extra: 15 }],
  ['Connection: close', 'HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n', { keepAlive: false, done: true }],
  ['HTTP/1.0 is not reused', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', { keepAlive: false, done: true }],
  ['identical Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok', { body: 'ok', done: true }],
  ['obs-text and tabs in a value', 'HTTP/1.1 200 OK\r\nX-A: caf\xe9\tau lait \r\nContent-Length: 0\r\n\r\n', { headers: ['X-A', 'caf\xe9\tau lait', 'Content-Length', '0'] }],
  ['duplicates and case kept', 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n', { headers: ['Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'Content-Length', '0'] }],
]

for (const [name, raw, want] of ok) {
  test(`accepts: ${name} (whole and split at every byte)`, () => {
    const { method, eof, ...expected } = want
    for (const pieces of splits(raw)) {
      const got = parse(pieces, method, eof)
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(got[k as keyof Parsed], v, `${k} with pieces ${pieces.map((p) => p.length).join('+')}`)
    }
  })
}

const big = 'X-Big: ' + 'a'.repeat(70_000) + '\r\n'
const many = Array.from({ length: 250 }, (_, i) => `X-${i}: 1\r\n`).join('')
const bad: [string, string, RegExp][] = [
  ['CL and TE together', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /both Content-Length and Transfer-Encoding/],
  ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', /different Content-Length/],
  ['a list of different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!', /different Content-Length/],
  ['signed Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello', /bad Content-Length/],
  ['huge Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n', /bad Content-Length/],
  ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n', /Transfer-Encoding/],
  ['chunked not last: reading till close would still be chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', /Transfer-Encoding/],
  ['chunk size overflow', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\nx\r\n', /chunk size too large/],
  ['negative chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n', /not a hex number/],
  ['0x chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n', /garbage after the chunk size/],
  ['space before the chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n', /not a hex number/],
  ['chunk data not followed by CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n', /not followed by CRLF/],
  ['chunk size line with bare LF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n', /CRLF/],
  ['over-long chunk extension', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;${'e'.repeat(5000)}\r\nhello\r\n0\r\n\r\n`, /over 4096 bytes/],
  ['bad status line', 'HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n', /bad status line/],
  ['HTTP/2 status line', 'HTTP/2 200 OK\r\n\r\n', /bad status line/],
  ['not HTTP at all', 'hello world\r\n\r\n', /bad status line/],
  ['status 600', 'HTTP/1.1 600 Odd\r\n\r\n', /status 600/],
  ['101 without an upgrade asked', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n', /101/],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n', /obs-fold/],
  ['NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n', /control character/],
  ['bare CR in a value (response splitting)', 'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: evil=1\r\nContent-Length: 0\r\n\r\n', /control character/],
  ['bare LF (response splitting)', 'HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: evil=1\r\nContent-Length: 0\r\n\r\n', /CRLF/],
  ['space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n', /bad header name/],
  ['no colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n', /bad header name/],
  ['head over 64 KiB', `HTTP/1.1 200 OK\r\n${big}\r\n`, /over 65536 bytes/],
  ['head over 200 lines', `HTTP/1.1 200 OK\r\n${many}\r\n`, /over 200 lines/],
  ['an endless stream of 100s', 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(20), /interim/],
  ['empty line first', '\r\nHTTP/1.1 200 OK\r\n\r\n', /empty line before the status line/],
  ['bad trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n', /bad trailer/],
]

for (const [name, raw, message] of bad) {
  test(`rejects: ${name}`, () => {
    // Split anywhere the outcome is the same error; one byte at a time only for small inputs.
    const all = raw.length < 400 ? splits(raw) : [[bytes(raw)], [bytes(raw).subarray(0, 100), bytes(raw).subarray(100)]]
    for (const pieces of all) {
      assert.throws(
        () => parse(pieces),
        (err: unknown) => err instanceof Http1Error && err.kind === 'error' && message.test(err.message),
        `pieces ${pieces.map((p) => p.length).join('+')}`,
      )
    }
  })
}

test('cut short: a Content-Length or chunked body that ends with the connection is not complete', () => {
  for (const raw of ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n']) {
    assert.throws(() => parse([bytes(raw)], 'GET', true), /cut/, raw)
  }
})

test('limits are the documented defaults', () => {
  assert.deepEqual(DEFAULT_LIMITS, { maxHeadBytes: 65536, maxHeadLines: 200, maxChunkLine: 4096, maxInterim: 8 })
})

test('request head: headers as given, chunked only without a Content-Length, nothing that could split it', () => {
  const head = (h: string[], hasBody: boolean) => Buffer.from(encodeHead('POST', '/a?b=%20', h, framing(h, hasBody).chunked)).toString('latin1')
  assert.equal(head(['Host', 'x', 'content-length', '3'], true), 'POST /a?b=%20 HTTP/1.1\r\nHost: x\r\ncontent-length: 3\r\n\r\n')
  assert.equal(head(['Host', 'x'], true), 'POST /a?b=%20 HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n')
  assert.equal(head(['Host', 'x', 'X-L', 'caf\xe9'], false), 'POST /a?b=%20 HTTP/1.1\r\nHost: x\r\nX-L: caf\xe9\r\n\r\n')
  for (const h of [['X-A', 'a\r\nX-B: b'], ['X-A', 'a\0'], ['X A', 'b'], ['X-A', '\u0100']]) assert.throws(() => head(h, false), Http1Error, JSON.stringify(h))
  assert.throws(() => encodeHead('GET', '/a b', [], false), Http1Error)
  assert.equal(Buffer.from(encodeChunk(bytes('hello world!!!!!'))).toString('latin1'), '10\r\nhello world!!!!!\r\n')
})
