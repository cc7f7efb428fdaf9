/**
 * A response head that announces a body of known length is held until its first body bytes
 * arrive (transports: Node's, and the HTTP/1.1 client of Bun and Deno). An upstream that dies
 * between head and body — a container killed mid-response; busybox httpd writes the two
 * separately — is then a failure before the answer, which the proxy retries elsewhere, instead
 * of a cut response. It costs nothing: a client can do nothing with such a head alone. Streams of
 * unknown length (chunked, SSE) go out at once, as their first bytes may be far off.
 */
export function announcesBody(status: number, headers: readonly string[]): boolean {
  if (status === 204 || status === 304) return false
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!
    if (name.length === 14 && name.toLowerCase() === 'content-length') return headers[i + 1] !== '0'
  }
  return false
}
