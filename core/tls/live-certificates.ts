/**
 * Runs a certificate source for an HTTPS listener: every set it pushes is checked (each PEM
 * parses, each key is its certificate's), given its SNI names (the certificate's DNS names unless
 * the source names them) and swapped in whole; a bad set is rejected with the reasons logged and
 * the last good one keeps serving. Startup waits for the first good set.
 */
import type { PluginContext } from '../plugin/contract.ts'
import { pluginContext } from '../plugin/context.ts'
import type { ServeTls, TlsCertificate } from '../runtime/types.ts'
import { certificateCovers, inspectKeyPair, type CertificateFacts } from '../runtime/io/certificates.ts'
import type { CertificateContext, CertificateInput, CertificateSource, CertificateStatus } from './certificate-source.ts'

const EXPIRY_WARNING_MS = 14 * 24 * 3600 * 1000

export interface LiveCertificates extends ServeTls {
  /** One line per certificate: names, serial, expiry (for the startup log). */
  describe(): string
  /** The certificates served, and what the source says of its own (ACME: pending, failing hosts). */
  list(): { served: { hosts: readonly string[]; serial: string; notAfter: string }[]; managed: CertificateStatus[] }
}

/** What the gateway tells a source besides update(): the hosts routes name, when it listens, which challenges it can answer. */
export type GatewayFacts = Omit<CertificateContext, 'update' | keyof PluginContext>

const NO_FACTS: GatewayFacts = { hosts: () => [], onHostsChange: () => () => {}, listening: Promise.resolve(), challenges: ['http-01'] }

export async function startCertificates(
  source: CertificateSource,
  gateway: PluginContext,
  { waitMs = 30_000, hsts, facts: gatewayFacts = NO_FACTS }: { waitMs?: number; hsts?: string; facts?: GatewayFacts } = {},
): Promise<LiveCertificates> {
  const { log } = gateway
  let current: TlsCertificate[] = []
  let facts: CertificateFacts[] = []
  const listeners = new Set<() => void>()
  let firstGood: () => void = () => {}
  const ready = new Promise<void>((resolve) => (firstGood = resolve))

  const update = (inputs: readonly CertificateInput[]): string[] => {
    const checked = check(inputs)
    if (!checked.ok) {
      log.error(`certificates from ${source.name}: rejected, ${current.length ? 'keeping the ones in force' : 'none in force yet'}`, { problems: checked.problems })
      return checked.problems
    }
    const now = Date.now()
    checked.facts.forEach((f, i) => {
      const host = checked.certs[i]!.hosts[0] ?? f.subject
      if (f.notAfter.getTime() < now) log.warn(`certificate for ${host} expired on ${f.notAfter.toISOString()}`)
      else if (f.notAfter.getTime() - now < EXPIRY_WARNING_MS) log.warn(`certificate for ${host} expires on ${f.notAfter.toISOString()}`)
    })
    const first = current.length === 0
    current = checked.certs
    facts = checked.facts
    if (!first) log.info(`certificates from ${source.name}: now serving ${describe()}`)
    for (const listener of listeners) listener()
    firstGood()
    return []
  }

  const describe = () => current.map((c, i) => `${c.hosts.join(',') || '(default)'} serial ${facts[i]!.serial} until ${facts[i]!.notAfter.toISOString().slice(0, 10)}`).join('; ')

  Promise.resolve()
    .then(() => source.start({ ...pluginContext(source, gateway), ...gatewayFacts, update }))
    .catch((err) => log.error(`certificate source ${source.name} failed`, { error: String((err as Error)?.message ?? err) }))

  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)))
  const outcome = await Promise.race([ready, timedOut])
  clearTimeout(timer)
  if (outcome === 'timeout') throw new Error(`listen.tls.certificates: ${source.name} gave no valid certificate within ${waitMs} ms`)

  return {
    current: () => current,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    hsts,
    describe,
    list: () => ({
      served: current.map((c, i) => ({ hosts: c.hosts, serial: facts[i]!.serial, notAfter: facts[i]!.notAfter.toISOString() })),
      managed: source.describe?.() ?? [],
    }),
    ...(source.alpnChallenge && { alpnChallenge: source.alpnChallenge.bind(source) }),
  }
}

function check(inputs: readonly CertificateInput[]): { ok: true; certs: TlsCertificate[]; facts: CertificateFacts[] } | { ok: false; problems: string[] } {
  if (!Array.isArray(inputs) || inputs.length === 0) return { ok: false, problems: ['no certificate in the set'] }
  const problems: string[] = []
  const certs: TlsCertificate[] = []
  const facts: CertificateFacts[] = []
  inputs.forEach((input, i) => {
    const pair = inspectKeyPair(String(input?.cert ?? ''), String(input?.key ?? ''))
    if (!pair.ok) return void problems.push(`[${i}].${pair.field}: ${pair.message}`)
    const hosts = [...(input.hosts ?? pair.facts.names)].map((h: string) => h.toLowerCase())
    for (const h of hosts) if (!certificateCovers(pair.facts.names, h)) problems.push(`[${i}].hosts: "${h}" is not a name in the certificate (${pair.facts.names.join(', ')})`)
    certs.push({ cert: input.cert, key: input.key, hosts })
    facts.push(pair.facts)
  })
  return problems.length ? { ok: false, problems } : { ok: true, certs, facts }
}
