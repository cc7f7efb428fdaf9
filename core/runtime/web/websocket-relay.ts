/**
 * WebSockets on Bun and Deno, message by message. Their servers hand the client's socket over
 * only after the handshake, so the gateway first opens its own WebSocket to the upstream (the
 * runtime's client, with the forwarded headers and the client's subprotocols), and upgrades the
 * client once the upstream has accepted, with the subprotocol the upstream chose. Then messages
 * (text and binary) and close codes are relayed each way. Unlike Node's byte splice, extensions
 * are negotiated per side, and a refused handshake reaches the client as the upstream's status
 * alone (the runtime's WebSocket client exposes no more of the upstream's answer).
 */
import type { OutboundRequest, UpstreamFailure, UpstreamTarget } from '../types.ts'
import { answeredStatus, invalidHandshake } from './websocket-handshake.ts'

/** Headers the WebSocket client writes itself; the rest of the forwarded request goes along. */
const OWN = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'content-length'])

export type Message = string | ArrayBuffer | Uint8Array

/** The client side, as the runtime's server exposes it once upgraded. */
export interface ClientSide {
  send(data: Message): void
  close(code?: number, reason?: string): void
}

export interface UpstreamSocket {
  readonly socket: WebSocket
  readonly protocol: string
}

/** Opens the upstream WebSocket; resolves once it accepted, or with the failure. */
export function openUpstream(
  up: UpstreamTarget,
  req: OutboundRequest,
  protocols: string[],
): Promise<{ ok: true; upstream: UpstreamSocket } | { ok: false; failure: UpstreamFailure }> {
  const invalid = invalidHandshake(req.headers, protocols)
  if (invalid) return Promise.resolve({ ok: false, failure: { kind: 'bad-request', message: invalid } })
  const url = new URL(req.path, up.url.origin)
  url.protocol = up.url.protocol === 'https:' ? 'wss:' : 'ws:'
  const headers: [string, string][] = []
  for (let i = 0; i < req.headers.length; i += 2) if (!OWN.has(req.headers[i]!.toLowerCase())) headers.push([req.headers[i]!, req.headers[i + 1]!])
  return new Promise((resolve) => {
    let socket: WebSocket
    try {
      socket = new (WebSocket as unknown as new (url: string, init: { headers: [string, string][]; protocols: string[] }) => WebSocket)(url.href, { headers, protocols })
    } catch (err) {
      // The runtime's WebSocket client refused what the request carries: nothing reached the upstream.
      return resolve({ ok: false, failure: { kind: 'bad-request', message: String((err as Error)?.message ?? err) } })
    }
    socket.binaryType = 'arraybuffer'
    const timer = setTimeout(() => {
      socket.close()
      resolve({ ok: false, failure: { kind: 'first-byte-timeout', message: 'no upgrade response in time' } })
    }, req.timeouts.connect + req.timeouts.firstByte)
    socket.onopen = () => {
      clearTimeout(timer)
      resolve({ ok: true, upstream: { socket, protocol: socket.protocol } })
    }
    // A failed handshake gives no detail beyond the error event's message, which names the status
    // of an upstream that answered (Bun: "Expected 101 status code: 400"; Deno: "Invalid status code: 400").
    let answered: number | undefined
    socket.onerror = socket.onclose = (e: Event) => {
      answered ??= answeredStatus((e as ErrorEvent).message)
      clearTimeout(timer)
      const failure: UpstreamFailure = answered
        ? { kind: 'status', status: answered, message: `the upstream answered the WebSocket handshake with ${answered}` }
        : { kind: 'reset', message: 'the upstream did not accept the WebSocket' }
      resolve({ ok: false, failure })
    }
  })
}

/** Relays messages and closes between the two sides; `done` runs once, when both are closed. */
export function relay(upstream: WebSocket, done: () => void): { client: (client: ClientSide) => void; fromClient(data: Message): void; clientClosed(code: number, reason: string): void } {
  let client: ClientSide | undefined
  const early: Message[] = [] // upstream messages that arrive before the client side is ready
  let upstreamClose: { code: number; reason: string } | undefined
  let ended = false
  const end = () => {
    if (ended) return
    ended = true
    done()
  }
  upstream.onmessage = (e: MessageEvent) => (client ? client.send(e.data as Message) : early.push(e.data as Message))
  upstream.onerror = () => {}
  upstream.onclose = (e: CloseEvent) => {
    // 1005/1006 cannot be sent: an upstream that vanished without a close frame is a 1011 to the client.
    upstreamClose = e.code === 1005 ? { code: 1000, reason: '' } : e.code === 1006 ? { code: 1011, reason: 'upstream went away' } : { code: e.code, reason: e.reason }
    if (client) closeSafely(client, upstreamClose.code, upstreamClose.reason)
    end()
  }
  upstream.onopen = null
  return {
    client(c) {
      client = c
      for (const m of early.splice(0)) c.send(m)
      if (upstreamClose) closeSafely(c, upstreamClose.code, upstreamClose.reason)
    },
    fromClient(data) {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data)
    },
    clientClosed(code, reason) {
      if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) {
        if (code === 1005 || code === 1006 || code === 1015) upstream.close()
        else closeSafely(upstream, code, reason)
      }
      end()
    },
  }
}

/** Some WebSocket objects accept only 1000 and 3000–4999 from the application: fall back to 1000. */
function closeSafely(ws: ClientSide, code: number, reason: string): void {
  try {
    ws.close(code, reason)
  } catch {
    try {
      ws.close(1000, reason)
    } catch {}
  }
}
