/** A unix-socket proxy in front of dockerd's socket that a test can cut (the Docker API "goes away") and restore; containers keep running. */
import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { tempDir } from './process.ts'

export async function socketProxy(target: string) {
  const path = join(tempDir('gh-sproxy', { removeOnExit: true }), 'docker.sock')
  const pairs = new Set<[Socket, Socket]>()
  let refusing = false
  const server = createServer((client) => {
    if (refusing) return void client.destroy()
    const daemon = connect(target)
    const pair: [Socket, Socket] = [client, daemon]
    pairs.add(pair)
    client.pipe(daemon).pipe(client)
    const end = () => (pairs.delete(pair), client.destroy(), daemon.destroy())
    client.on('close', end).on('error', end)
    daemon.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return {
    path,
    cut: () => ((refusing = true), [...pairs].forEach(([c, s]) => (c.destroy(), s.destroy()))),
    restore: () => void (refusing = false),
    close: () => new Promise<void>((resolve) => (pairs.forEach(([c]) => c.destroy()), server.close(() => resolve()))),
  }
}

