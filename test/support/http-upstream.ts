// Real upstream HTTP servers on random loopback ports, recording what reached them.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import type { Socket } from 'node:net'

export interface Seen {
  method: string
  url: string
  rawHeaders: string[]
  headers: IncomingMessage['headers']
  body: Buffer
}

export interface Upstream {
  port: number
  url: string
  /** Requests received (bodies read fully unless the handler consumes them itself). */
  seen: Seen[]
  /** TCP connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void

/** Echo: answers with its name and what it received, as JSON. */
export const echo = (name: string): Handler => (req, res, body) => {
  res.setHeader('content-type', 'application/json')
  res.setHeader('x-upstream', name)
  res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, bodyLength: body.length }))
}

export async function startUpstream(handler: Handler, opts: { streamBody?: (req: IncomingMessage, res: ServerResponse) => void } = {}): Promise<Upstream> {
  const seen: Seen[] = []
  let connections = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    if (opts.streamBody) return opts.streamBody(req, res)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, headers: req.headers, body })
      handler(req, res, body)
    })
  })
  server.on('connection', (s: Socket) => {
    connections++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

/** A port where nothing listens (connections are refused). */
export async function deadPort(): Promise<number> {
  const u = await startUpstream(() => {})
  await u.close()
  return u.port
}
