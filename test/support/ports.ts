// Loopback port helpers for tests that start real services.
// Services get port numbers up front (they take them as flags), so we ask the
// kernel for a free one and release it; the tiny race until the service binds
// it is acceptable for tests.
import { createServer, connect } from 'node:net'
import { createSocket } from 'node:dgram'

const HOST = '127.0.0.1'

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4')
    sock.once('error', () => resolve(false))
    sock.bind(port, HOST, () => sock.close(() => resolve(true)))
  })
}

/**
 * A port that is free on 127.0.0.1 for TCP (and UDP too when `udp` is set,
 * for DNS servers that listen on both).
 */
export async function freePort(opts: { udp?: boolean } = {}): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort()
    if (!opts.udp || (await udpPortFree(port))) return port
  }
  throw new Error('freePort: no port free for both TCP and UDP after 20 tries')
}

/** Whether something accepts TCP connections on 127.0.0.1:port (readiness probe). */
export function canConnect(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: HOST, port })
    const done = (ok: boolean) => {
      sock.destroy()
      resolve(ok)
    }
    sock.setTimeout(timeoutMs, () => done(false))
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
  })
}
