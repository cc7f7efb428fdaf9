/**
 * fetch() cannot tell "still connecting" from "connected, waiting for the response". When the
 * connect timeout passes without a response head, one probe connection to the same address
 * decides: if it does not open within another connect timeout either, the upstream is not
 * accepting connections (a connect timeout, safe to retry elsewhere); if it opens, the request
 * is left to the first-byte timeout. Only slow exchanges ever pay for a probe.
 */
import { bun } from './api.ts'

export type ProbeResult = 'open' | 'refused' | 'timeout'

export function probeConnect(url: URL, timeoutMs: number): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    let settled = false
    const done = (r: ProbeResult, socket?: { end(): void }) => {
      socket?.end()
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    const timer = setTimeout(() => done('timeout'), timeoutMs)
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
    bun
      .connect({ hostname, port, socket: { open: (s) => done('open', s), data() {}, close() {}, connectError: () => done('refused') } })
      .catch(() => done('refused'))
  })
}
