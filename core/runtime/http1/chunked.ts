/**
 * The chunked transfer coding of a response body (RFC 9112 §7.1), strict: 1–12 hex digits, CRLF
 * everywhere, chunk extensions without control characters, trailers checked like header fields
 * (then dropped) and bounded like a head. Data slices are views of the bytes fed in.
 */
import { protocolError } from './errors.ts'
import { CTL, latin1, LineBuffer, TOKEN } from './lines.ts'
import type { Http1Limits } from './limits.ts'

const enum Chunk {
  Size,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

export class ChunkedDecoder {
  #state = Chunk.Size
  #left = 0
  #line = new LineBuffer()
  #trailerLines = 0
  #trailerBytes = 0

  constructor(readonly limits: Http1Limits) {}

  /** Decodes `b`, data slices to `out`; once the message ends, the count of bytes after it, else -1. */
  feed(b: Uint8Array, out: Uint8Array[]): number {
    let p = 0
    const n = b.length
    while (p < n) {
      switch (this.#state) {
        case Chunk.Data: {
          const take = Math.min(this.#left, n - p)
          out.push(b.subarray(p, p + take))
          p += take
          this.#left -= take
          if (this.#left === 0) this.#state = Chunk.DataCr
          break
        }
        case Chunk.DataCr:
          if (b[p++] !== 13) throw protocolError('chunk data not followed by CRLF')
          this.#state = Chunk.DataLf
          break
        case Chunk.DataLf:
          if (b[p++] !== 10) throw protocolError('chunk data not followed by CRLF')
          this.#state = Chunk.Size
          break
        case Chunk.Size:
        case Chunk.Trailer: {
          const lf = b.indexOf(10, p)
          const cap = this.#state === Chunk.Size ? this.limits.maxChunkLine : this.limits.maxHeadBytes
          if (lf < 0) {
            this.#line.append(b, p, n, cap, `chunk line over ${cap} bytes`)
            return -1
          }
          let line: Uint8Array, from: number, to: number
          if (this.#line.length) {
            this.#line.append(b, p, lf + 1, cap + 2, `chunk line over ${cap} bytes`)
            line = this.#line.bytes
            from = 0
            to = this.#line.length - 1
            this.#line.length = 0
          } else {
            if (lf - p > cap) throw protocolError(`chunk line over ${cap} bytes`)
            line = b
            from = p
            to = lf
          }
          p = lf + 1
          if (to === from || line[to - 1] !== 13) throw protocolError('chunk line not ended by CRLF')
          if (this.#state === Chunk.Size) this.#size(line, from, to - 1)
          else if (this.#trailer(line, from, to - 1)) return n - p
          break
        }
      }
    }
    return -1
  }

  /** chunk-size [ BWS ; chunk-ext ] — 1 to 12 hex digits (no sign, no spaces before). */
  #size(b: Uint8Array, from: number, to: number): void {
    let size = 0
    let i = from
    for (; i < to; i++) {
      const c = b[i]!
      const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
      if (v < 0) break
      size = size * 16 + v
    }
    if (i === from) throw protocolError('chunk size is not a hex number')
    if (i - from > 12) throw protocolError('chunk size too large')
    while (i < to && (b[i] === 32 || b[i] === 9)) i++
    if (i < to) {
      if (b[i] !== 59) throw protocolError('garbage after the chunk size')
      for (; i < to; i++) if ((b[i]! < 32 && b[i] !== 9) || b[i] === 127) throw protocolError('control character in a chunk extension')
    }
    if (size === 0) {
      this.#state = Chunk.Trailer
      this.#trailerLines = 0
      this.#trailerBytes = 0
    } else {
      this.#left = size
      this.#state = Chunk.Data
    }
  }

  /** One trailer line (validated like a header, then dropped): true on the empty line that ends the message. */
  #trailer(b: Uint8Array, from: number, to: number): boolean {
    if (to === from) {
      this.#state = Chunk.Done
      return true
    }
    this.#trailerBytes += to - from + 2
    if (++this.#trailerLines > this.limits.maxHeadLines || this.#trailerBytes > this.limits.maxHeadBytes) throw protocolError('trailer section too large')
    const line = latin1(b, from, to)
    const c = line.indexOf(':')
    if (c <= 0 || !TOKEN.test(line.slice(0, c)) || CTL.test(line.slice(c + 1))) throw protocolError('bad trailer line')
    return false
  }
}
