/**
 * `certificateFiles([...])`: certificates from PEM files, re-read when they change. The files'
 * directories are watched (an editor's or certbot's rename-over is caught; a watch on the file
 * itself would go quiet) and a stat poll catches what watching misses (Kubernetes secret volumes
 * swap a `..data` symlink, network filesystems). A change is read `debounce` after the first
 * event, so a cert and key written one after the other are read together; a set that does not
 * check out (a key that is not its certificate's, mid-rotation) is rejected whole and the last
 * good set keeps serving until the files agree again.
 *
 * `listen.tls.certificates: [{ cert, key }]` is shorthand for this source.
 *
 * @example
 * import { certificateFiles } from 'gatehouse/plugins/certificates'
 * listen: { port: 443, tls: { certificates: certificateFiles([
 *   { cert: '/etc/certs/a.pem', key: '/etc/certs/a.key' },                 // serves the names in the certificate
 *   { cert: '/etc/certs/wild.pem', key: '/etc/certs/wild.key', hosts: ['*.example.com'] },
 * ], { poll: '5s' }) } }
 */
import { z } from 'zod'
import { duration } from '../config/duration.ts'
import { formatIssues } from '../config/errors.ts'
import { invalidPlugin } from '../plugin/define.ts'
import { isHostPattern } from '../routing/host-pattern.ts'
import { certificateCovers, inspectKeyPair, readTextSync } from '../runtime/io/certificates.ts'
import type { CertificateSource } from './certificate-source.ts'

const hostPattern = z.string().refine(isHostPattern, { error: 'expected a host like "api.example.com" or "*.example.com"' })

/** One `{ cert, key, hosts? }` entry; the files are read and checked, so `gatehouse check` names a bad one. */
export const certificateFileSchema = z
  .strictObject({
    /** PEM certificate chain, leaf first; relative to the working directory. */
    cert: z.string().min(1, { error: 'expected the path of a PEM certificate file' }),
    /** PEM private key of that certificate. */
    key: z.string().min(1, { error: 'expected the path of a PEM private key file' }),
    /** SNI names it serves. Default: the DNS names in the certificate. */
    hosts: z.array(hostPattern).min(1).optional(),
  })
  .superRefine((entry, ctx) => {
    for (const p of checkCertificateFiles(entry)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message, input: entry })
  })

export type CertificateFile = z.input<typeof certificateFileSchema>

const optionsSchema = z.strictObject({
  /** Wait after a change event before reading, so a cert and key written together are read together. Default 100ms. */
  debounce: duration().default(100),
  /** Stat poll, the safety net for missed watch events. Default 2s. */
  poll: duration()
    .default(2_000)
    .refine((ms) => ms >= 100, { error: 'expected at least 100ms' }),
})

export type CertificateFilesOptions = z.input<typeof optionsSchema>

/** Reads and checks one entry's files: each problem names the field (`cert`, `key`, `hosts[1]`). */
export function checkCertificateFiles(entry: { cert: string; key: string; hosts?: readonly string[] }): { path: (string | number)[]; message: string }[] {
  const cert = readTextSync(entry.cert)
  const key = readTextSync(entry.key)
  const problems: { path: (string | number)[]; message: string }[] = []
  if (!cert.ok) problems.push({ path: ['cert'], message: cert.message })
  if (!key.ok) problems.push({ path: ['key'], message: key.message })
  if (!cert.ok || !key.ok) return problems
  const pair = inspectKeyPair(cert.text, key.text)
  if (!pair.ok) return [{ path: [pair.field], message: `"${pair.field === 'cert' ? entry.cert : entry.key}": ${pair.message}${pair.field === 'key' ? ` in "${entry.cert}"` : ''}` }]
  entry.hosts?.forEach((host, i) => {
    if (!certificateCovers(pair.facts.names, host)) {
      problems.push({ path: ['hosts', i], message: `"${host}" is not a name in the certificate "${entry.cert}" (${pair.facts.names.join(', ') || 'it has none'})` })
    }
  })
  return problems
}

const filesSchema = z.array(certificateFileSchema).min(1, { error: 'expected at least one { cert, key }' })

export function certificateFiles(files: CertificateFile[], options: CertificateFilesOptions = {}): CertificateSource {
  const entries = filesSchema.safeParse(files)
  const opts = optionsSchema.safeParse(options ?? {})
  if (entries.success && opts.success) return { ...watchedFiles(entries.data, opts.data), options: { files, options } }
  const problems = [...(entries.success ? [] : formatIssues(entries.error.issues)), ...(opts.success ? [] : formatIssues(opts.error.issues))]
  return invalidPlugin('certificates', 'certificateFiles', { files, options }, problems)
}

/** The source itself, for entries already checked (the `certificates: [...]` shorthand). */
export function watchedFiles(entries: readonly { cert: string; key: string; hosts?: readonly string[] }[], opts: z.output<typeof optionsSchema> = { debounce: 100, poll: 2_000 }): CertificateSource {
  return {
    kind: 'certificates',
    name: 'certificateFiles',
    options: { files: entries, options: opts },
    async start({ update, signal, log, io }) {
      if (signal.aborted) return
      const { locate, readText, version: fileVersion, watchDirectory } = io.files
      const paths = [...new Set(entries.flatMap((e) => [locate(e.cert).path, locate(e.key).path]))]
      let lastTexts: string | undefined
      let lastError: string | undefined
      let versions: string | undefined
      let timer: ReturnType<typeof setTimeout> | undefined
      let queue = Promise.resolve()

      const load = async () => {
        let texts: string[]
        try {
          texts = await Promise.all(entries.flatMap((e) => [readText(e.cert), readText(e.key)]))
        } catch (err) {
          const message = `certificateFiles: ${(err as Error).message}; keeping the certificates in force`
          if (message !== lastError) log.error(message)
          lastError = message
          return
        }
        lastError = undefined
        const joined = texts.join('\0')
        if (signal.aborted || joined === lastTexts) return
        lastTexts = joined
        update(entries.map((e, i) => ({ cert: texts[2 * i]!, key: texts[2 * i + 1]!, hosts: e.hosts })))
      }
      const reload = () => (queue = queue.then(load))
      const schedule = () => {
        clearTimeout(timer)
        timer = setTimeout(reload, opts.debounce)
      }
      const closers = paths.map((p) => {
        const { dir, base } = locate(p)
        return watchDirectory(dir, base, schedule, (err) => log.warn(`certificateFiles: cannot watch ${dir} (${err.message}); polling every ${opts.poll} ms`))
      })
      const poll = setInterval(async () => {
        const now = (await Promise.all(paths.map(fileVersion))).join('|')
        if (versions !== undefined && now !== versions) schedule()
        versions = now
      }, opts.poll)
      signal.addEventListener('abort', () => {
        clearTimeout(timer)
        clearInterval(poll)
        for (const close of closers) close()
      })
      await reload()
    },
  }
}
