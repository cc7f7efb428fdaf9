/**
 * Follows WebSocket frame boundaries in a byte stream (RFC 6455 §5.2) without buffering payloads,
 * so the gateway knows when it may inject a frame of its own: a close 1011 to the client when
 * the upstream dies between frames. Also notes whether a close frame was already seen.
 */
export class FrameBoundaries {
  private remaining = 0 // payload bytes of the current frame still to come
  private header: number[] = [] // bytes of a frame header split across chunks
  closeSeen = false

  /** True when the stream so far ends exactly at the end of a frame. */
  get atBoundary(): boolean {
    return this.remaining === 0 && this.header.length === 0
  }

  feed(chunk: Uint8Array): void {
    let i = 0
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i)
        this.remaining -= take
        i += take
        continue
      }
      this.header.push(chunk[i++]!)
      const need = headerLength(this.header)
      if (need === undefined || this.header.length < need) continue
      if ((this.header[0]! & 0x0f) === 0x8) this.closeSeen = true
      this.remaining = payloadLength(this.header)
      this.header = []
    }
  }
}

function headerLength(h: number[]): number | undefined {
  if (h.length < 2) return undefined
  const len7 = h[1]! & 0x7f
  const masked = (h[1]! & 0x80) !== 0
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0)
}

function payloadLength(h: number[]): number {
  const len7 = h[1]! & 0x7f
  if (len7 < 126) return len7
  if (len7 === 126) return (h[2]! << 8) | h[3]!
  let n = 0
  for (let i = 2; i < 10; i++) n = n * 256 + h[i]!
  return n
}

/** An unmasked server-to-client close frame with a status code and a short reason. */
export function closeFrame(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason.slice(0, 120))
  const frame = new Uint8Array(4 + text.length)
  frame[0] = 0x88
  frame[1] = 2 + text.length
  frame[2] = code >> 8
  frame[3] = code & 0xff
  frame.set(text, 4)
  return frame
}
