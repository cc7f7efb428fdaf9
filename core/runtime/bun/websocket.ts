/**
 * WebSockets on Bun: the upgrade request goes through the Hono app like any request (route
 * middleware such as auth applies); the transport opens the upstream WebSocket, then upgrades
 * the client with `server.upgrade()` and relays messages (../web/websocket-relay.ts).
 */
import type { Context } from 'hono'
import type { UpstreamRuntime } from '../../pools/upstream-state.ts'
import type { OutboundRequest, SendResult } from '../types.ts'
import { openUpstream, relay, type Message } from '../web/websocket-relay.ts'
import type { BunServer, BunServerWebSocket, BunWebSocketHandler } from './api.ts'

interface SocketData {
  relay: ReturnType<typeof relay>
}

export async function upgradeToUpstream(c: Context, up: UpstreamRuntime, req: OutboundRequest): Promise<SendResult> {
  const server = c.env as BunServer
  const protocols = (c.req.header('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean)
  const opened = await openUpstream(up, req, protocols)
  if (!opened.ok) {
    req.onDone(opened.failure)
    return opened
  }
  const { socket, protocol } = opened.upstream
  const data: SocketData = { relay: relay(socket, () => req.onDone(undefined, 101)) }
  const headers = protocol ? { 'Sec-WebSocket-Protocol': protocol } : undefined
  if (!server.upgrade(c.req.raw, { data, headers })) {
    socket.close()
    const failure = { kind: 'error' as const, message: 'the client connection could not be upgraded' }
    req.onDone(failure)
    return { ok: false, failure }
  }
  // Bun answers the handshake itself; the Response returned after a successful upgrade is ignored.
  return { ok: true, response: new Response(null) }
}

/** Bun.serve's `websocket` handlers: each upgraded client is joined to its upstream's relay. */
export const websocketHandlers: BunWebSocketHandler<SocketData> = {
  open(ws: BunServerWebSocket<SocketData>) {
    ws.data.relay.client({ send: (m: Message) => void ws.send(m), close: (code, reason) => ws.close(code, reason) })
  },
  message(ws: BunServerWebSocket<SocketData>, message: string | Uint8Array) {
    ws.data.relay.fromClient(message)
  },
  close(ws: BunServerWebSocket<SocketData>, code: number, reason: string) {
    ws.data.relay.clientClosed(code, reason)
  },
}
