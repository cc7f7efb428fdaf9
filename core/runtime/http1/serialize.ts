/**
 * The request as bytes: the head exactly as the core prepared it (names, order, duplicates), with
 * the body framed by its Content-Length when the client gave one, else chunked. What cannot be sent
 * (a control character in a value, a name that is no token) is the request's fault (requestError).
 */
import { requestError } from './errors.ts'

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const TOKEN = METHOD
/** No CTL but HTAB in a value, no space or CTL in the target: nothing can split the request. */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/
const BAD_TARGET = /[\x00-\x20\x7f]/
const ASCII = /^[\x00-\x7f]*$/
const encoder = new TextEncoder()

export interface RequestFraming {
  /** The Content-Length the headers carry, if any. */
  length?: number
  /** No Content-Length but a body: add `Transfer-Encoding: chunked`. */
  chunked: boolean
}

/** Content-Length from a prepared header list (the core already rejected bad or conflicting ones). */
export function framing(headers: readonly string[], hasBody: boolean): RequestFraming {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length === 14 && headers[i]!.toLowerCase() === 'content-length') return { length: Number(headers[i + 1]), chunked: false }
  }
  return { chunked: hasBody }
}

export function encodeHead(method: string, path: string, headers: readonly string[], chunked: boolean): Uint8Array {
  if (!METHOD.test(method) || BAD_TARGET.test(path) || path === '') throw requestError('invalid request line')
  let s = `${method} ${path} HTTP/1.1\r\n`
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!
    const value = headers[i + 1]!
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) throw requestError(`invalid request header ${JSON.stringify(name.slice(0, 40))}`)
    s += `${name}: ${value}\r\n`
  }
  s += chunked ? 'transfer-encoding: chunked\r\n\r\n' : '\r\n'
  return ASCII.test(s) ? encoder.encode(s) : latin1Bytes(s)
}

/** Header values are octets: one byte per character (characters above U+00FF cannot be sent). */
function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 255) throw requestError('a request header has a character outside latin1')
    out[i] = c
  }
  return out
}

/** One chunk of a chunked body: size line, data, CRLF, in one buffer (one write). */
export function encodeChunk(data: Uint8Array): Uint8Array {
  const size = encoder.encode(data.length.toString(16) + '\r\n')
  const out = new Uint8Array(size.length + data.length + 2)
  out.set(size)
  out.set(data, size.length)
  out[out.length - 2] = 13
  out[out.length - 1] = 10
  return out
}

export const LAST_CHUNK: Uint8Array = encoder.encode('0\r\n\r\n')
