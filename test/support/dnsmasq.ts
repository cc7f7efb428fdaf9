// A private authoritative-only DNS server (Debian's dnsmasq) on a random
// loopback port, for DNS SRV discovery tests. Records come from flags only:
// no upstream, no /etc/hosts, no config file, no pid file, never port 53,
// and /etc/resolv.conf is neither read nor written.
import { canConnect, freePort } from './ports.ts'
import { requireBinary, spawnLogged, waitFor, which, type LoggedProcess } from './process.ts'

export interface DnsRecords {
  /** name like _http._tcp.svc.test; priority defaults to 0, weight to 100 */
  srv?: Array<{ name: string; target: string; port: number; priority?: number; weight?: number }>
  /** `ttl` in seconds; default `localTtl`. */
  a?: Array<{ name: string; ip: string; ttl?: number }>
  /** TTL of every record without its own, SRV records included (dnsmasq's --local-ttl); default 0. */
  localTtl?: number
}

export interface Dnsmasq {
  /** UDP and TCP port on 127.0.0.1: resolver.setServers([`127.0.0.1:${port}`]) */
  port: number
  stop(): Promise<void>
  /** Stops (if running) and starts again on the same port with new records. */
  restart(records: DnsRecords): Promise<void>
  /** Queries received so far for `name` of `type` (from dnsmasq's query log). */
  queries(type: 'SRV' | 'A' | 'AAAA', name: string): number
}

export function hasDnsmasq(): boolean {
  return !!which('dnsmasq')
}

function recordFlags(records: DnsRecords): string[] {
  return [
    ...(records.srv ?? []).map(
      (r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 100}`,
    ),
    ...(records.a ?? []).map((r) => `--host-record=${r.name},${r.ip}${r.ttl === undefined ? '' : `,${r.ttl}`}`),
    ...(records.localTtl === undefined ? [] : [`--local-ttl=${records.localTtl}`]),
  ]
}

export async function startDnsmasq(records: DnsRecords = {}): Promise<Dnsmasq> {
  const bin = requireBinary('dnsmasq')
  const port = await freePort({ udp: true })
  const baseArgs = [
    '--keep-in-foreground',
    '--conf-file=/dev/null', // the full dnsmasq package's /etc/dnsmasq.conf could add upstreams
    '--no-resolv',
    '--no-hosts',
    '--pid-file', // empty value: no pid file, so parallel instances do not clobber /run/dnsmasq
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--log-facility=-', // stderr, captured for error messages (not syslog)
    '--log-queries', // one line per query, counted by queries()
  ]

  let proc: LoggedProcess | undefined
  let earlier = '' // query log lines of processes stopped by restart()
  const log = () => earlier + (proc?.tail(1_000_000) ?? '')
  const start = async (recs: DnsRecords) => {
    const p = spawnLogged(bin, [...baseArgs, ...recordFlags(recs)], { name: 'dnsmasq' })
    proc = p
    try {
      // dnsmasq opens its UDP and TCP sockets together, so TCP accepting means DNS is served.
      await waitFor(() => canConnect(port), {
        timeoutMs: 10_000,
        what: `dnsmasq on 127.0.0.1:${port}`,
        abort: () => (p.running() ? undefined : 'dnsmasq exited'),
      })
    } catch (err) {
      await p.stop(2000)
      throw new Error(`${(err as Error).message}\n--- dnsmasq log tail ---\n${p.tail()}`)
    }
  }
  const stop = async () => {
    await proc?.stop(5000)
    if (proc) earlier += proc.tail(1_000_000) + '\n'
    proc = undefined
  }

  await start(records)
  return {
    port,
    stop,
    restart: async (recs) => {
      await stop()
      await start(recs)
    },
    queries: (type, name) => log().split('\n').filter((l) => l.includes(`query[${type}] ${name} from`)).length,
  }
}
