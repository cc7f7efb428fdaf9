// A private ACME CA for tests: Debian's `pebble` (Let's Encrypt's test CA) with
// `pebble-challtestsrv` as its DNS server, answering every name with 127.0.0.1 (or what a
// test sets with resolveTo). Pebble validates HTTP-01 on `httpPort` and TLS-ALPN-01 on
// `tlsPort`: the ports of the gateway under test, so pick them first. Pebble's own HTTPS
// endpoint has a certificate from a private test CA (`directoryCa`, to trust); the root that
// signs what pebble issues is regenerated per start (`root()`, for curl --cacert).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from 'undici'
import { createTestCa } from './certs.ts'
import { freePort } from './ports.ts'
import { cleanEnv, requireBinary, spawnLogged, tempDir, waitFor, which, type LoggedProcess } from './process.ts'

export interface Pebble {
  /** The ACME directory URL. */
  directory: string
  /** PEM file of the CA behind pebble's own HTTPS endpoint (the acme() `directoryCa` option). */
  directoryCa: string
  /** Writes pebble's current root (signs the certificates it issues) to a file; returns its path. */
  root(): Promise<string>
  /** Orders created so far (counted from pebble's log). */
  orders(): number
  /** Makes pebble's DNS answer `host` with `address` (e.g. 127.0.0.2, where nothing listens), or the default again (undefined). */
  resolveTo(host: string, address: string | undefined): Promise<void>
  log(): string
  stop(): Promise<void>
}

export function hasPebble(): boolean {
  return !!which('pebble') && !!which('pebble-challtestsrv')
}

export async function startPebble(opts: { httpPort: number; tlsPort: number; validitySeconds?: number }): Promise<Pebble> {
  const pebbleBin = requireBinary('pebble')
  const challBin = requireBinary('pebble-challtestsrv')
  const dir = tempDir('gh-pebble', { removeOnExit: true })
  const ca = createTestCa('pebble')
  const leaf = ca.issue('pebble', ['localhost', '127.0.0.1'])
  const [acmePort, mgmtPort, dnsPort, challMgmtPort] = await distinctPorts(4)
  const dns: LoggedProcess = spawnLogged(
    challBin,
    ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challMgmtPort}`, '-defaultIPv6', ''],
    { name: 'pebble-challtestsrv' },
  )
  const config = join(dir, 'pebble.json')
  writeFileSync(config, JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: leaf.cert,
      privateKey: leaf.key,
      httpPort: opts.httpPort,
      tlsPort: opts.tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      ...(opts.validitySeconds && { certificateValidityPeriod: opts.validitySeconds }),
    },
  }))
  // No random sleeps before validating; every good nonce accepted; no authorization reuse, so
  // each order (a renewal included) is validated again and a failure test really fails.
  const env = cleanEnv(['PEBBLE_'], { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' })
  const proc = spawnLogged(pebbleBin, ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], { name: 'pebble', env })
  let orders = 0
  const countOrders = (chunk: Buffer) => void (orders += (chunk.toString().match(ORDER_LINE) ?? []).length)
  proc.child.stdout!.on('data', countOrders)
  proc.child.stderr!.on('data', countOrders)
  const dispatcher = new Agent({ connect: { ca: ca.caPem } })
  const management = (path: string) => fetch(`https://127.0.0.1:${mgmtPort}${path}`, { dispatcher } as RequestInit)
  const stop = async () => {
    await Promise.all([proc.stop(3000), dns.stop(3000)])
    await dispatcher.close()
    ca.remove()
  }
  try {
    await waitFor(async () => (await fetch(`https://127.0.0.1:${acmePort}/dir`, { dispatcher } as RequestInit)).ok, {
      timeoutMs: 20_000,
      what: 'pebble',
      abort: () => (proc.running() ? (dns.running() ? undefined : `challtestsrv exited: ${dns.tail()}`) : `pebble exited: ${proc.tail()}`),
    })
  } catch (err) {
    await stop()
    throw err
  }
  return {
    directory: `https://127.0.0.1:${acmePort}/dir`,
    directoryCa: ca.caFile,
    async root() {
      const pem = await (await management('/roots/0')).text()
      const file = join(dir, 'root.pem')
      writeFileSync(file, pem)
      return file
    },
    orders: () => orders,
    async resolveTo(host, address) {
      const path = address ? '/add-a' : '/clear-a'
      const body = JSON.stringify(address ? { host: `${host}.`, addresses: [address] } : { host: `${host}.` })
      const res = await fetch(`http://127.0.0.1:${challMgmtPort}${path}`, { method: 'POST', body })
      if (!res.ok) throw new Error(`challtestsrv ${path}: ${res.status}`)
    },
    log: () => proc.tail(200),
    stop,
  }
}

const ORDER_LINE = /POST \/order-plz/g

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}
