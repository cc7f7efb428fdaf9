/**
 * WebSockets on Bun: the upgrade request goes through the Hono app like any request (route
 * middleware such as auth applies); the transport opens the upstream WebSocket, then upgrades
 * the client with `server.upgrade()` and relays messages (../web/websocket-relay.ts).
 */
import type { OutboundRequest, SendResult, UpstreamTarget } from '../types.ts'
import { openUpstream, relay, type Message } from '../web/websocket-relay.ts'
import type { BunServerWebSocket, BunWebSocketHandler } from './api.ts'
import type { BunRequest } from './request.ts'

interface SocketData {
  relay: ReturnType<typeof relay>
}

export async function upgradeToUpstream({ request, inbound, env: server }: BunRequest, up: UpstreamTarget, req: OutboundRequest): Promise<SendResult> {
  const protocols = (inbound.header('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean)
  const opened = await openUpstream(up, req, protocols)
  if (!opened.ok) {
    req.onDone(opened.failure)
    return opened
  }
  const { socket, protocol } = opened.upstream
  const data: SocketData = { relay: relay(socket, () => req.onDone(undefined, 101)) }
  const headers = protocol ? { 'Sec-WebSocket-Protocol': protocol } : undefined
  if (!server.upgrade(request, { data, headers })) {
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
