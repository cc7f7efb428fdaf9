/** What the response parser and the chunked decoder share: field syntax, latin1 text, a line split across reads. */
import { protocolError } from './errors.ts'

export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Control characters other than HTAB (CR, LF and NUL among them) may not appear in a field value or reason. */
export const CTL = /[\x00-\x08\x0a-\x1f\x7f]/

/** latin1: header bytes are octets, and Headers takes them back as such. */
export function latin1(b: Uint8Array, from: number, to: number): string {
  let s = ''
  for (let i = from; i < to; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, Math.min(to, i + 8192)) as unknown as number[])
  return s
}

/** Bytes of one line split across reads, up to a cap. */
export class LineBuffer {
  bytes = new Uint8Array(256)
  length = 0
  append(src: Uint8Array, from: number, to: number, cap: number, tooLong: string): void {
    const n = to - from
    if (this.length + n > cap) throw protocolError(tooLong)
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.min(cap, Math.max(this.length + n, this.bytes.length * 2)))
      grown.set(this.bytes.subarray(0, this.length))
      this.bytes = grown
    }
    this.bytes.set(src.subarray(from, to), this.length)
    this.length += n
  }
}
