import { concat } from '../../core/runtime/web/bytes.ts'

/** Reads a response body up to `max` bytes; undefined (and the rest cancelled) when it is longer. */
export async function readLimited(res: Response, max: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!res.body) return new Uint8Array(0)
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > max) {
    await res.body.cancel().catch(() => {})
    return undefined
  }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read() // rejects when the fetch's timeout signal fires
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  return concat(chunks)
}
