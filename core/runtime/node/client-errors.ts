/**
 * Requests node:http's parser refuses before the app sees them (malformed, bad framing, a head too
 * large or too slow): reported by reason (`ServeOptions.onRefused`), then answered as Node itself
 * does. A 'clientError' listener replaces Node's default answer, so that answer is repeated here
 * byte for byte (lib/_http_server.js, socketOnError): a status line and `Connection: close`, only
 * while nothing of a response was written, then the socket is destroyed. A client that reset its
 * connection was refused nothing and is not counted.
 *
 * On Bun's and Deno's node:http layers (`flush`, serve.ts layer 'compat') a socket's writes are
 * asynchronous: destroyed at once, Deno's TLS socket dropped the answer about one time in three
 * (the client saw the connection close without a status). There the socket is destroyed once the
 * answer is flushed (or after FLUSH_MS), and an error its parser reports again meanwhile is ignored.
 */
import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ListenerRefusal, ServeOptions } from '../types.ts'

const ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
}
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'
/** How long an answer may take to flush before its socket is destroyed anyway (a client that does not read). */
const FLUSH_MS = 1_000

const FRAMING = new Set(['HPE_INVALID_CHUNK_SIZE', 'HPE_INVALID_TRANSFER_ENCODING', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_INVALID_CONTENT_LENGTH', 'HPE_CHUNK_EXTENSIONS_OVERFLOW', 'HPE_INVALID_EOF_STATE'])

/** The refusal an error code means; undefined for a connection the client broke (reset, closed). */
export function refusalOf(code: string | undefined): ListenerRefusal | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return 'header-too-large'
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'header-timeout'
  if (code && FRAMING.has(code)) return 'bad-framing'
  if (code?.startsWith('HPE_')) return 'malformed'
  return undefined
}

export function answerClientErrors(server: Server, onRefused: ServeOptions['onRefused'], flush = false): void {
  const answered = new WeakSet<Duplex>()
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (answered.has(socket)) return
    const reason = refusalOf(err.code)
    if (reason) onRefused?.(reason, err.code)
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    const answer = socket.writable && !inFlight?.headersSent ? (ANSWERS[err.code ?? ''] ?? BAD_REQUEST) : undefined
    if (!flush || answer === undefined) {
      if (answer !== undefined) socket.write(answer)
      return void socket.destroy(err)
    }
    answered.add(socket)
    const close = () => {
      clearTimeout(timer)
      socket.destroy(err)
    }
    const timer = setTimeout(close, FLUSH_MS)
    socket.write(answer, close)
  })
}
