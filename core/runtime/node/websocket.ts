/**
 * WebSockets on Node: an upgrade request goes through the Hono app like any request (so route
 * middleware such as auth applies), and the transport then opens a TCP connection to the chosen
 * upstream, replays the upgrade, and after the upstream's `101` splices the two sockets. Frames,
 * subprotocols, extensions and close codes pass through untouched; if the upstream dies between
 * frames the client gets a close 1011 instead of a bare TCP reset.
 */
import { connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http'
import type { OutboundRequest, SendResult, UpstreamFailure, UpstreamTarget } from '../types.ts'
import type { NodeRequest, UpgradeSocket } from './request.ts'
import { closeFrame, FrameBoundaries } from './websocket-frames.ts'
import { classify } from '../undici.ts'

export interface UpgradeEnv {
  incoming: IncomingMessage
  outgoing: undefined
  upgrade: UpgradeSocket
}

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>

/** Routes upgrade requests through the app; answers its response unless a transport took the socket. */
export function handleUpgrades(server: Server, fetch: Fetch, open: Set<Socket>): void {
  server.on('upgrade', async (incoming: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => {})
    const env: UpgradeEnv = { incoming, outgoing: undefined, upgrade: { socket, head, taken: false, open } }
    let res: Response
    if (incoming.headers.upgrade?.toLowerCase() !== 'websocket') res = new Response('gatehouse: only WebSocket upgrades are proxied\n', { status: 400 })
    else {
      try {
        const headers = new Headers()
        for (let i = 0; i < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!)
        const path = incoming.url?.startsWith('/') ? incoming.url : '/'
        res = await fetch(new Request(`http://gatehouse.invalid${path}`, { headers }), env)
      } catch {
        res = new Response(null, { status: 400 })
      }
    }
    if (!env.upgrade.taken && !socket.destroyed) await writeResponse(socket, res)
  })
}

async function writeResponse(socket: Socket, res: Response): Promise<void> {
  const body = new Uint8Array(await res.arrayBuffer())
  let head = `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ''}\r\n`
  res.headers.forEach((v, k) => {
    if (k !== 'content-length' && k !== 'connection' && k !== 'transfer-encoding') head += `${k}: ${v}\r\n`
  })
  socket.end(Buffer.concat([Buffer.from(`${head}content-length: ${body.length}\r\nconnection: close\r\n\r\n`, 'latin1'), body]))
}

/** Transport.upgrade for Node. */
export function upgradeToUpstream(request: NodeRequest, up: UpstreamTarget, req: OutboundRequest): Promise<SendResult> {
  const upgrade = request.upgrade!
  const client = upgrade.socket
  return new Promise<SendResult>((resolve) => {
    const secure = up.url.protocol === 'https:'
    const host = up.url.hostname.replace(/^\[|\]$/g, '')
    const port = Number(up.url.port) || (secure ? 443 : 80)
    const sock = secure ? tlsConnect({ host, port, servername: host }) : tcpConnect({ host, port })
    let settled = false
    let done = false
    const finish = (failure?: UpstreamFailure) => {
      if (done) return
      done = true
      upgrade.open.delete(client)
      req.onDone(failure, failure ? undefined : 101)
    }
    const fail = (failure: UpstreamFailure) => {
      clearTimeout(timer)
      sock.destroy()
      if (settled) return
      settled = true
      finish(failure)
      resolve({ ok: false, failure })
    }
    let timer = setTimeout(() => fail({ kind: 'connect-timeout', message: 'connect timeout' }), req.timeouts.connect)
    sock.on('error', (err) => fail(classify(err)))
    sock.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      timer = setTimeout(() => fail({ kind: 'first-byte-timeout', message: 'no upgrade response in time' }), req.timeouts.firstByte)
      let head = `${req.method} ${req.path} HTTP/1.1\r\n`
      for (let i = 0; i < req.headers.length; i += 2) head += `${req.headers[i]}: ${req.headers[i + 1]}\r\n`
      sock.write(head + '\r\n')
      if (upgrade.head.length) sock.write(upgrade.head)
    })
    let buffered = Buffer.alloc(0)
    const onHead = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end === -1) return void (buffered.length > 65_536 && fail({ kind: 'error', message: 'upgrade response head too large' }))
      clearTimeout(timer)
      sock.off('data', onHead)
      settled = true
      upgrade.taken = true
      upgrade.open.add(client)
      // The upstream's own answer (a 101 with its Sec-WebSocket-Accept, or a refusal) goes to the client as is.
      client.write(buffered.subarray(0, end + 4))
      splice(client, sock, buffered.subarray(end + 4), finish)
      resolve({ ok: true, response: new Response(null, { status: 204 }) })
    }
    sock.on('data', onHead)
  })
}

function splice(client: Socket, upstream: Socket, rest: Buffer, finish: () => void): void {
  const frames = new FrameBoundaries()
  const toClient = (chunk: Buffer) => {
    frames.feed(chunk)
    if (!client.write(chunk)) upstream.pause()
  }
  if (rest.length) toClient(rest)
  upstream.on('data', toClient)
  client.on('drain', () => upstream.resume())
  client.on('data', (chunk: Buffer) => void (upstream.write(chunk) || client.pause()))
  upstream.on('drain', () => client.resume())
  client.on('end', () => upstream.end())
  upstream.on('close', () => {
    // An upstream that vanished without a close frame: tell the client why, if a frame may start here.
    if (!client.destroyed && !frames.closeSeen && frames.atBoundary) client.end(closeFrame(1011, 'upstream went away'))
    else if (!client.destroyed) client.end()
    finish()
  })
  client.on('close', () => {
    upstream.destroy()
    finish()
  })
}
