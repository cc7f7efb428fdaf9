/**
 * Shadow copies of requests to the version being released (Istio's mirroring): sampled by a
 * counter so copies never exceed the configured share, bounded in flight so a hanging target
 * holds at most `maxInflight` connections, sent with the runtime's probe client in the upstream's
 * protocol (it may set Host, which fetch forbids) and never awaited by the original. Their
 * outcomes feed the analysis.
 */
import type { ReleaseConfig } from '../config/release-schema.ts'
import type { UpstreamProbe } from '../pools/upstream-probe.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'

export type MirrorSettings = NonNullable<ReleaseConfig['mirror']>

export interface MirrorCopy {
  method: string
  path: string
  headers: Record<string, string>
}

/** Copies are sent for these only: a copy must be safe to send twice and carry no body. */
const COPIED_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** Not copied: the copy has no body, and a connection header would describe another connection. */
const DROPPED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer'])

export class Mirror {
  private credit = 0
  inflight = 0
  /** Copies sent, and sampled ones skipped because `maxInflight` were under way. */
  sent = 0
  skipped = 0

  constructor(
    private readonly send: UpstreamProbe,
    private readonly observe: (up: UpstreamRuntime, error: boolean, ms: number) => void,
  ) {}

  /** Whether this request is copied: the share, counted (never exceeded). A yes reserves a place in flight until `fire` ends or `cancel`. */
  sample(settings: MirrorSettings, method: string): boolean {
    if (!COPIED_METHODS.has(method)) return false
    this.credit += settings.percent
    if (this.credit < 100) return false
    this.credit -= 100
    if (this.inflight >= settings.maxInflight) {
      this.skipped++
      return false
    }
    this.inflight++
    return true
  }

  /** A sampled copy that will not be sent after all. */
  cancel(): void {
    this.inflight--
  }

  /** The copy's request: the original's headers (raw pairs, index 1 the Host value), Host with `-shadow`, and the marker. */
  static copyOf(method: string, path: string, raw: readonly string[], settings: MirrorSettings): MirrorCopy {
    const headers: Record<string, string> = {}
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase()
      if (DROPPED.has(name)) continue
      const have = headers[name]
      headers[name] = have === undefined ? raw[i + 1]! : `${have}${name === 'cookie' ? '; ' : ', '}${raw[i + 1]}`
    }
    headers.host = `${shadowHost(raw[1] ?? '')}`
    headers[settings.header.toLowerCase()] = '1'
    return { method, path, headers }
  }

  /** Sends a copy; resolves when it ended (nobody need wait). */
  async fire(up: UpstreamRuntime, copy: MirrorCopy, settings: MirrorSettings): Promise<void> {
    this.sent++
    const started = Date.now()
    let error = true
    try {
      const url = new URL(up.url.origin + copy.path) // never relative: a path like //host must not change the target
      const { status } = await this.send(url, up.protocol, { method: copy.method, headers: copy.headers, timeoutMs: settings.timeout, maxBodyBytes: 0 })
      error = status >= 500
    } catch {
      // refused, reset or timed out: an error of the version's
    } finally {
      this.inflight--
    }
    this.observe(up, error, Date.now() - started)
  }
}

/** `app.example.com:8080` → `app.example.com-shadow:8080`. */
function shadowHost(host: string): string {
  const colon = host.lastIndexOf(':')
  if (colon > host.lastIndexOf(']') && colon !== -1) return `${host.slice(0, colon)}-shadow${host.slice(colon)}`
  return `${host}-shadow`
}
