/**
 * WebSockets on Deno: the upgrade request goes through the Hono app like any request (route
 * middleware such as auth applies); the transport opens the upstream WebSocket, then answers the
 * client with `Deno.upgradeWebSocket()` and relays messages (../web/websocket-relay.ts).
 */
import type { OutboundRequest, SendResult, UpstreamTarget } from '../types.ts'
import type { WebRequest } from '../web/request.ts'
import { openUpstream, relay, type Message } from '../web/websocket-relay.ts'
import { deno } from './api.ts'

export async function upgradeToUpstream({ request, inbound }: WebRequest, up: UpstreamTarget, req: OutboundRequest): Promise<SendResult> {
  const protocols = (inbound.header('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean)
  const opened = await openUpstream(up, req, protocols)
  if (!opened.ok) {
    req.onDone(opened.failure)
    return opened
  }
  const { socket: upstream, protocol } = opened.upstream
  let upgraded: { socket: WebSocket; response: Response }
  try {
    upgraded = deno.upgradeWebSocket(request, protocol ? { protocol } : {})
  } catch (err) {
    upstream.close()
    // Deno refuses the client's own handshake (a bad key or version): the request's fault.
    const failure = { kind: 'bad-request' as const, message: String((err as Error)?.message ?? err) }
    req.onDone(failure)
    return { ok: false, failure }
  }
  const client = upgraded.socket
  client.binaryType = 'arraybuffer'
  const pipe = relay(upstream, () => req.onDone(undefined, 101))
  client.onopen = () => pipe.client({ send: (m: Message) => client.send(m), close: (code, reason) => client.close(code, reason) })
  client.onmessage = (e: MessageEvent) => pipe.fromClient(e.data as Message)
  client.onerror = () => {}
  client.onclose = (e: CloseEvent) => pipe.clientClosed(e.code, e.reason)
  return { ok: true, response: upgraded.response }
}
