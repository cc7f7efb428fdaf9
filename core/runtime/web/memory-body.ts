/**
 * Responses whose whole body is already in memory. Bun.serve writes such a body on its native
 * path; the serving side must then not wrap it in a JS stream (Bun's idle.ts asks), which costs
 * Bun about 4× in throughput for small bodies.
 */
const inMemory = new WeakSet<Response>()

export function markInMemory(res: Response): Response {
  inMemory.add(res)
  return res
}

export function isInMemory(res: Response): boolean {
  return inMemory.has(res)
}
