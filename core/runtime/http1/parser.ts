/**
 * A strict HTTP/1.1 response parser (RFC 9112) for the gateway's own upstream client: the head,
 * then the body framed by Content-Length, chunked coding or the connection's end. Strict on
 * purpose: anything a smuggling or response-splitting attack needs (bare LF, obs-fold, CL+TE,
 * conflicting lengths, lax chunk sizes) is an error, and the exchange answers 502.
 *
 * Incremental and allocation-light: body slices are views of the bytes fed in; only a line split
 * across reads is copied.
 */
import { ChunkedDecoder } from './chunked.ts'
import { protocolError } from './errors.ts'
import { CTL, latin1, LineBuffer, TOKEN } from './lines.ts'
import { DEFAULT_LIMITS, type Http1Limits } from './limits.ts'

export interface ResponseHead {
  status: number
  reason: string
  /** Flat [name, value…] as received (latin1), case and order kept. */
  headers: string[]
  /** The connection may carry another exchange once this one is fully read. */
  keepAlive: boolean
  /** The upstream's `Keep-Alive: timeout=N`, in ms. */
  keepAliveMs?: number
}

const enum Mode {
  None,
  Length,
  Chunked,
  Close,
}

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: (.*))?$/
const CL_VALUE = /^\d{1,15}$/


export class ResponseParser {
  head: ResponseHead | undefined
  /** Bytes after the head in the chunk that completed it: where the body starts. */
  rest: Uint8Array = new Uint8Array(0)
  /** The whole message has been read. */
  done = false
  /** Bytes that arrived after the end of the message (the connection cannot be reused). */
  extra = 0
  /** Bytes of the response received so far (head and body). */
  received = 0

  #mode = Mode.None
  #left = 0
  #chunked: ChunkedDecoder | undefined
  #line = new LineBuffer()
  #headLines = 0
  #headBytes = 0
  #interim = 0

  constructor(
    readonly method: string,
    readonly limits: Http1Limits = DEFAULT_LIMITS,
  ) {}

  /** Feeds bytes while the head is incomplete; returns the final head once it is complete (1xx skipped). */
  feedHead(chunk: Uint8Array): ResponseHead | undefined {
    this.received += chunk.length
    let data = chunk
    for (;;) {
      const end = this.#scanHead(data)
      if (end < 0) return undefined
      const lines = this.#lines
      this.#lines = []
      this.#headLines = 0
      this.#headBytes = 0
      const head = this.#parseHead(lines)
      const after = data.subarray(end)
      if (head) {
        this.head = head
        this.rest = after
        if (this.#mode === Mode.None || (this.#mode === Mode.Length && this.#left === 0)) this.#complete(after.length)
        return head
      }
      if (++this.#interim > this.limits.maxInterim) throw protocolError(`more than ${this.limits.maxInterim} interim responses`)
      data = after
    }
  }

  /** Complete head lines from earlier reads (decoded), when the head spans reads. */
  #lines: string[] = []

  /**
   * Scans `data` for the empty line that ends the head; returns the index just past it, or -1
   * (complete lines are kept decoded, a partial one as bytes). A head within one read is decoded
   * in one go.
   */
  #scanHead(data: Uint8Array): number {
    const { maxHeadBytes, maxHeadLines } = this.limits
    const fast = this.#lines.length === 0 && this.#line.length === 0 ? 0 : -1 // start of lines not yet decoded
    let at = 0
    for (;;) {
      const lf = data.indexOf(10, at)
      if (lf < 0) {
        if (fast >= 0 && at > fast) this.#decode(data, fast, at)
        this.#line.append(data, at, data.length, maxHeadBytes - this.#headBytes, `response head over ${maxHeadBytes} bytes`)
        return -1
      }
      let empty: boolean
      if (this.#line.length) {
        this.#line.append(data, 0, lf + 1, maxHeadBytes - this.#headBytes, `response head over ${maxHeadBytes} bytes`)
        const b = this.#line.bytes
        const n = this.#line.length
        if (n < 2 || b[n - 2] !== 13) throw protocolError('line not ended by CRLF')
        empty = n === 2
        this.#headBytes += n
        if (!empty) this.#lines.push(latin1(b, 0, n - 2))
        this.#line.length = 0
      } else {
        if (lf === at || data[lf - 1] !== 13) throw protocolError('line not ended by CRLF')
        empty = lf === at + 1
        this.#headBytes += lf + 1 - at
        if (!empty && fast < 0) this.#lines.push(latin1(data, at, lf - 1))
      }
      if (this.#headBytes > maxHeadBytes) throw protocolError(`response head over ${maxHeadBytes} bytes`)
      if (empty) {
        if (fast >= 0 && at > fast) this.#decode(data, fast, at)
        if (this.#lines.length === 0) throw protocolError('empty line before the status line')
        return lf + 1
      }
      if (++this.#headLines > maxHeadLines + 1) throw protocolError(`response head over ${maxHeadLines} lines`)
      at = lf + 1
    }
  }

  /** Lines [from, to) of `data`, each ended by CRLF. */
  #decode(data: Uint8Array, from: number, to: number): void {
    for (const line of latin1(data, from, to - 2).split('\r\n')) this.#lines.push(line)
  }

  #parseHead(lines: string[]): ResponseHead | undefined {
    const m = STATUS_LINE.exec(lines[0]!)
    if (!m) throw protocolError(`bad status line ${JSON.stringify(lines[0]!.slice(0, 64))}`)
    const status = Number(m[2])
    const reason = m[3] ?? ''
    if (status > 599) throw protocolError(`status ${status}`)
    if (CTL.test(reason)) throw protocolError('control character in the reason phrase')
    const headers = new Array<string>((lines.length - 1) * 2)
    let length: string | undefined
    let codings: string[] | undefined
    let close = m[1] === '0' // HTTP/1.0: not reused
    let keepAliveMs: number | undefined
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!
      const c = line.indexOf(':')
      const first = line.charCodeAt(0)
      if (first === 32 || first === 9) throw protocolError('obs-fold (a header line starting with whitespace)')
      const name = c > 0 ? line.slice(0, c) : ''
      if (!TOKEN.test(name)) throw protocolError(`bad header name ${JSON.stringify(line.slice(0, 40))}`)
      const value = trimOws(line.slice(c + 1))
      if (CTL.test(value)) throw protocolError(`control character in header ${name}`)
      headers[2 * i - 2] = name
      headers[2 * i - 1] = value
      switch (name.length) {
        case 14:
          if (name.toLowerCase() === 'content-length') length = contentLength(length, value)
          break
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') (codings ??= []).push(...list(value))
          break
        case 10: {
          const lname = name.toLowerCase()
          if (lname === 'connection') close ||= list(value).includes('close')
          else if (lname === 'keep-alive') {
            const t = /(?:^|[,;\s])timeout=(\d{1,6})(?:$|[,;\s])/i.exec(value)
            if (t) keepAliveMs = Number(t[1]) * 1000
          }
        }
      }
    }
    if (status < 200) {
      if (status === 101) throw protocolError('101 Switching Protocols to a request that asked for no upgrade')
      return undefined // interim (100 Continue, 103 Early Hints): the final response follows
    }
    // RFC 9112 §6.3, in its order.
    if (this.method === 'HEAD' || status === 204 || status === 304) this.#mode = Mode.None
    else if (codings && length !== undefined) throw protocolError('both Content-Length and Transfer-Encoding')
    else if (codings) {
      const chunked = codings.filter((x) => x === 'chunked').length
      if (chunked > 1 || (chunked === 1 && codings.at(-1) !== 'chunked')) throw protocolError(`Transfer-Encoding ${codings.join(', ')}`)
      // §6.3 (4): a response whose final coding is not chunked is delimited by the connection's end.
      this.#mode = chunked ? Mode.Chunked : Mode.Close
      if (chunked) this.#chunked = new ChunkedDecoder(this.limits)
    } else if (length !== undefined) {
      this.#mode = Mode.Length
      this.#left = Number(length)
    } else this.#mode = Mode.Close
    const keepAlive = !close && this.#mode !== Mode.Close
    return { status, reason, headers, keepAlive, keepAliveMs }
  }

  /** Feeds body bytes (after `feedHead` returned the head); body slices go to `out`. True once the message is complete. */
  feedBody(chunk: Uint8Array, out: Uint8Array[]): boolean {
    this.received += chunk.length
    if (this.done) {
      this.extra += chunk.length
      return true
    }
    switch (this.#mode) {
      case Mode.Close:
        if (chunk.length) out.push(chunk)
        return false
      case Mode.Length: {
        const n = Math.min(this.#left, chunk.length)
        if (n) out.push(n === chunk.length ? chunk : chunk.subarray(0, n))
        this.#left -= n
        if (this.#left === 0) this.#complete(chunk.length - n)
        return this.done
      }
      case Mode.Chunked: {
        const extra = this.#chunked!.feed(chunk, out)
        if (extra >= 0) this.#complete(extra)
        return this.done
      }
      default:
        this.#complete(chunk.length)
        return true
    }
  }

  /** The upstream closed the connection: true when that ends the message, false when it was cut short. */
  eof(): boolean {
    if (!this.done && this.#mode === Mode.Close) this.done = true
    return this.done
  }

  #complete(extra: number): void {
    this.done = true
    this.extra += extra
  }
}

function trimOws(s: string): string {
  let a = 0
  let z = s.length
  while (a < z && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++
  while (z > a && (s.charCodeAt(z - 1) === 32 || s.charCodeAt(z - 1) === 9)) z--
  return a === 0 && z === s.length ? s : s.slice(a, z)
}

/** Lower-case elements of a comma list, empty ones dropped (RFC 9110 §5.6.1), parameters cut off. */
function list(value: string): string[] {
  const out: string[] = []
  for (const part of value.split(',')) {
    const x = trimOws(part.split(';')[0]!).toLowerCase()
    if (!x) continue
    if (!TOKEN.test(x)) throw protocolError(`bad list element ${JSON.stringify(x.slice(0, 40))}`)
    out.push(x)
  }
  return out
}

/** Content-Length: digits only; repeated (as headers or a list) only with the same value. */
function contentLength(seen: string | undefined, value: string): string {
  for (const part of value.split(',')) {
    const v = trimOws(part)
    if (!CL_VALUE.test(v)) throw protocolError(`bad Content-Length ${JSON.stringify(value.slice(0, 40))}`)
    const n = String(Number(v))
    if (seen !== undefined && seen !== n) throw protocolError('different Content-Length values')
    seen = n
  }
  return seen!
}
