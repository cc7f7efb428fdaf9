// A private single-node etcd (Debian's etcd-server) for discovery tests.
// Ports and data dir are fixed for the instance's lifetime so restart() can
// simulate an etcd outage that clients must reconnect through.
import { join } from 'node:path'
import { freePort } from './ports.ts'
import { cleanEnv, requireBinary, run, spawnLogged, tempDir, waitFor, which, type LoggedProcess, type RunResult } from './process.ts'

export interface Etcd {
  /** Client URL, http://127.0.0.1:PORT */
  endpoint: string
  /** Runs etcdctl (v3 API) against this etcd. */
  etcdctl(args: string[], opts?: { input?: string }): Promise<RunResult>
  /** Stops the process; the data dir is kept so restart() resumes the same state. */
  stop(): Promise<void>
  /** Stops (if running) and starts again on the same ports and data dir. */
  restart(): Promise<void>
}

export function hasEtcd(): boolean {
  return !!which('etcd') && !!which('etcdctl')
}

const START_TIMEOUT_MS = 30_000

export async function startEtcd(): Promise<Etcd> {
  const etcdBin = requireBinary('etcd')
  const etcdctlBin = requireBinary('etcdctl')
  // Removed when the test process exits: stop() must keep it for restart().
  const dir = tempDir('gh-etcd', { removeOnExit: true })
  const clientPort = await freePort()
  let peerPort = await freePort()
  while (peerPort === clientPort) peerPort = await freePort()
  const endpoint = `http://127.0.0.1:${clientPort}`
  const peerUrl = `http://127.0.0.1:${peerPort}`
  const args = [
    '--name=gatehouse-test',
    `--data-dir=${join(dir, 'data')}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=gatehouse-test=${peerUrl}`,
    '--initial-cluster-state=new', // ignored on restart: the data dir wins
    // A lone member still sits out one election timeout before leading, on
    // every (re)start: short timers make start ~0.15s and restart ~0.4s, not ~1-1.6s.
    '--heartbeat-interval=20',
    '--election-timeout=200',
    '--logger=zap',
    '--log-outputs=stderr',
  ]
  // ETCD_* variables would silently override flags; ETCDCTL_* retarget etcdctl.
  const env = cleanEnv(['ETCD_', 'ETCDCTL_'])

  let proc: LoggedProcess | undefined
  const start = async () => {
    const p = spawnLogged(etcdBin, args, { env, name: 'etcd' })
    proc = p
    try {
      await waitFor(
        async () => {
          const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) })
          return res.ok && ((await res.json()) as { health?: string }).health === 'true'
        },
        {
          timeoutMs: START_TIMEOUT_MS,
          what: `etcd on ${endpoint}`,
          abort: () => (p.running() ? undefined : 'etcd exited'),
        },
      )
    } catch (err) {
      await p.stop(2000)
      throw new Error(`${(err as Error).message}\n--- etcd log tail ---\n${p.tail()}`)
    }
  }
  const stop = async () => {
    await proc?.stop(10_000)
  }

  await start()
  return {
    endpoint,
    etcdctl: (ctlArgs, opts = {}) =>
      run(etcdctlBin, [`--endpoints=${endpoint}`, ...ctlArgs], {
        env: { ...env, ETCDCTL_API: '3' },
        input: opts.input,
      }),
    stop,
    restart: async () => {
      await stop()
      await start()
    },
  }
}
