// A private redis-server (Debian's redis-server) for the rate-limit tests: a random loopback
// port, no persistence, no config file. stop() and start() keep the port, so a test can take
// Redis away from running gateways and bring it back.
import { freePort, canConnect } from './ports.ts'
import { requireBinary, run, spawnLogged, tempDir, waitFor, which, type LoggedProcess, type RunResult } from './process.ts'

export interface Redis {
  /** redis://127.0.0.1:PORT */
  url: string
  port: number
  /** Runs redis-cli against this server. */
  cli(args: string[]): Promise<RunResult>
  /** Stops the server (the data goes with it: there is no persistence). */
  stop(): Promise<void>
  /** Starts it again on the same port, empty. */
  start(): Promise<void>
}

export function hasRedis(): boolean {
  return !!which('redis-server') && !!which('redis-cli')
}

export async function startRedis(): Promise<Redis> {
  const server = requireBinary('redis-server')
  const cliBin = requireBinary('redis-cli')
  const dir = tempDir('gh-redis', { removeOnExit: true })
  const port = await freePort()
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--daemonize', 'no',
    '--loglevel', 'warning',
  ]
  let proc: LoggedProcess | undefined
  const cli = (cmd: string[]) => run(cliBin, ['-h', '127.0.0.1', '-p', String(port), ...cmd], { timeoutMs: 10_000 })

  const start = async () => {
    const p = spawnLogged(server, args, { name: 'redis' })
    proc = p
    try {
      await waitFor(async () => (await canConnect(port)) && (await cli(['PING'])).stdout.trim() === 'PONG', {
        timeoutMs: 15_000,
        what: `redis on port ${port}`,
        abort: () => (p.running() ? undefined : 'redis-server exited'),
      })
    } catch (err) {
      await p.stop(2000)
      throw new Error(`${(err as Error).message}\n--- redis log tail ---\n${p.tail()}`)
    }
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    cli,
    stop: async () => {
      await proc?.stop(5000)
    },
    start,
  }
}
