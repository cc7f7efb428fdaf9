// A private certificate authority for TLS tests, made with the real `openssl` CLI: a CA and
// leaf certificates (EC P-256, SAN = the given DNS names or IPv4 addresses) in a fresh directory. The directory
// is inside the repository (test-output/) so that Deno's `--allow-read=.` covers it.
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { onExit, requireBinary } from './process.ts'

const ROOT = resolve(import.meta.dirname, '../..')

export interface Leaf {
  cert: string
  key: string
  /** Upper-case hex, as `openssl x509 -serial` and X509Certificate.serialNumber print it. */
  serial: string
}

export interface TestCa {
  dir: string
  /** The CA certificate, for `curl --cacert` and TLS clients. */
  caFile: string
  caPem: string
  /** Issues a certificate for `hosts` into `<dir>/<name>.crt` and `.key` (replaced atomically when they exist). */
  issue(name: string, hosts: string[]): Leaf
  /** A key pair that belongs to no certificate here (for mismatch tests). */
  strayKey(name: string): string
  remove(): void
}

function openssl(args: string[], cwd: string): string {
  return execFileSync(requireBinary('openssl'), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
}

export function createTestCa(prefix = 'certs'): TestCa {
  const base = join(ROOT, 'test-output')
  mkdirSync(base, { recursive: true })
  const dir = mkdtempSync(join(base, `${prefix}-`))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  onExit(remove)
  const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=Gatehouse Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
  const caFile = join(dir, 'ca.crt')
  return {
    dir,
    caFile,
    caPem: openssl(['x509', '-in', 'ca.crt'], dir),
    issue(name, hosts) {
      const tmp = `${name}.${randomBytes(4).toString('hex')}`
      openssl(['req', ...EC, '-keyout', `${tmp}.key`, '-out', `${tmp}.csr`, '-subj', `/CN=${hosts[0]}`], dir)
      writeFileSync(join(dir, `${tmp}.ext`), [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`,
        '',
      ].join('\n'))
      const serial = randomBytes(8).toString('hex').toUpperCase().replace(/^0+/, '') || '1'
      openssl(['x509', '-req', '-in', `${tmp}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${serial}`, '-days', '30',
        '-out', `${tmp}.crt`, '-extfile', `${tmp}.ext`], dir)
      rmSync(join(dir, `${tmp}.csr`))
      rmSync(join(dir, `${tmp}.ext`))
      const cert = join(dir, `${name}.crt`)
      const key = join(dir, `${name}.key`)
      // As certbot and editors do: write aside, then rename over (the key first, then the cert).
      renameSync(join(dir, `${tmp}.key`), key)
      renameSync(join(dir, `${tmp}.crt`), cert)
      return { cert, key, serial }
    },
    strayKey(name) {
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', `${name}.key`], dir)
      return join(dir, `${name}.key`)
    },
    remove,
  }
}

/** The certificate a TLS server presents for `servername` (undefined: no SNI), read with `openssl s_client`. */
export async function presentedCertificate(port: number, servername?: string): Promise<{ subject: string; serial: string; names: string }> {
  const openssl = requireBinary('openssl')
  const sni = servername ? `-servername ${servername}` : '-noservername'
  const { stdout } = await promisify(execFile)('sh', ['-c', `${openssl} s_client -connect 127.0.0.1:${port} ${sni} </dev/null 2>/dev/null | ${openssl} x509 -noout -subject -serial -ext subjectAltName`], { timeout: 10_000 })
  return {
    subject: /subject=\s*(.*)/.exec(stdout)?.[1]?.replace(/\s+/g, '') ?? '',
    serial: /serial=([0-9A-F]+)/.exec(stdout)?.[1]?.replace(/^0+/, '') ?? '',
    names: /DNS:[^\n]*/.exec(stdout)?.[0] ?? '',
  }
}
