/**
 * The service labels the Swarm plugin reads (`docker service create -l …`; shown with the default
 * prefix `gatehouse`). The same meanings as the Docker plugin's container labels, except the port:
 *
 * | label | meaning |
 * |---|---|
 * | `gatehouse.enable=false` | never use this service (any other value: no effect) |
 * | `gatehouse.pool=web` | top level: the pool it serves (default: the service name); under a pool: the default selection |
 * | `gatehouse.port=8000` | the port its tasks listen on; may use `{{.Task.Slot}}` like `--env`: `180{{.Task.Slot}}` is 1801, 1802, … per task |
 * | `gatehouse.weight=2` | relative share of traffic of each task, 1–1000 (default 1) |
 * | `gatehouse.scheme=https` | talk to its tasks over https (default http) |
 * | `gatehouse.protocol=h2c` | HTTP/2 to it: `h2c` (cleartext, e.g. gRPC) or `h2` (over TLS); default `http1` |
 * | `gatehouse.network=backend` | take each task's address on this network (default: host networking, a host-mode published port, else its only network) |
 * | `gatehouse.host=app1.example.com,www.example.com` | add a route for these hosts to its pool |
 * | `gatehouse.path=/api/*` | the route's path (default `/*`); alone, a route for any host |
 * | `gatehouse.stripPrefix=/api` | the route strips this prefix before forwarding |
 * | `gatehouse.version=v2` | the upstream label `version`: the version a pool's `release` policy groups it under (same as `gatehouse.meta.version`) |
 * | `gatehouse.meta.<key>=<value>` | an upstream label `<key>` for balancers (canary tracks, zones) |
 * | `gatehouse.scale.<key>=<value>` | the pool's scale settings (`gatehouse.scale.min=0`), passed raw to the core, which checks them |
 *
 * Any other label under the prefix is a mistake (a typo would silently do nothing), so the
 * service is skipped with a reason naming it, like a bad value.
 */
import { POOL_NAME } from '../../core/config/schema.ts'
import { editDistance } from '../../core/config/edit-distance.ts'
import { portTemplateProblem } from './port-template.ts'

const KNOWN = ['enable', 'pool', 'port', 'weight', 'scheme', 'protocol', 'network', 'host', 'path', 'stripPrefix', 'version'] as const

export interface ServiceLabels {
  disabled: boolean
  pool?: string
  /** The port as written, maybe a template; `portFor` evaluates it per task. */
  port?: string
  weight: number
  scheme: 'http' | 'https'
  /** HTTP/2 to it: h2c (cleartext, prior knowledge) or h2 (over TLS); absent: HTTP/1.1. */
  protocol?: 'h2c' | 'h2'
  network?: string
  /** Present when `host` or `path` is set: the service asks for a route. */
  route?: { host?: string | string[]; path: string; stripPrefix?: string }
  meta: Record<string, string>
}

export type LabelResult = { ok: true; value: ServiceLabels } | { ok: false; problems: string[] }

/** Reads the labels under `prefix`; each bad one becomes a problem naming the label. */
export function readLabels(labels: Readonly<Record<string, string>>, prefix: string): LabelResult {
  const own: Record<string, string> = {}
  const meta: Record<string, string> = {}
  const problems: string[] = []
  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(`${prefix}.`)) continue
    const name = key.slice(prefix.length + 1)
    if (name.startsWith('meta.') && name.length > 5) meta[name.slice(5)] = value
    else if (name.startsWith('scale.') && name.length > 6) continue // the core's (scaleFromLabels), read by `scaleLabels`
    else if ((KNOWN as readonly string[]).includes(name)) own[name] = value.trim()
    else problems.push(`${key}: unknown label${suggest(name, prefix)}`)
  }
  const label = (name: string) => `${prefix}.${name}`

  if (own.port !== undefined) {
    const problem = portTemplateProblem(own.port)
    if (problem) problems.push(`${label('port')}: ${problem}`)
  }
  const weight = own.weight === undefined ? 1 : Number(own.weight)
  if (!(Number.isInteger(weight) && weight >= 1 && weight <= 1000)) problems.push(`${label('weight')}: "${own.weight}" is not a whole number from 1 to 1000`)
  const scheme = own.scheme ?? 'http'
  if (scheme !== 'http' && scheme !== 'https') problems.push(`${label('scheme')}: "${scheme}" is neither http nor https`)
  const protocol = own.protocol === undefined || own.protocol === 'http1' ? undefined : own.protocol
  if (protocol !== undefined && protocol !== 'h2c' && protocol !== 'h2') problems.push(`${label('protocol')}: "${own.protocol}" is not http1, h2c or h2`)
  else if (protocol === 'h2c' && own.scheme === 'https') problems.push(`${label('protocol')}: h2c is cleartext HTTP/2, but ${label('scheme')} is https (use ${label('protocol')}=h2)`)
  if (own.pool !== undefined && !POOL_NAME.test(own.pool)) problems.push(`${label('pool')}: "${own.pool}" is not a pool name (letters, digits, "_", "." or "-")`)
  if (own.network === '') problems.push(`${label('network')}: empty`)
  if (own.version !== undefined) {
    if (own.version === '') problems.push(`${label('version')}: empty`)
    else if (meta.version !== undefined && meta.version !== own.version) problems.push(`${label('version')}: "${own.version}" differs from ${label('meta.version')} "${meta.version}"`)
    else meta.version = own.version
  }
  if (own.stripPrefix !== undefined && own.host === undefined && own.path === undefined) problems.push(`${label('stripPrefix')}: needs ${label('host')} or ${label('path')}`)
  if (problems.length) return { ok: false, problems }

  const hosts = own.host?.split(',').map((h) => h.trim())
  const route =
    own.host !== undefined || own.path !== undefined
      ? {
          ...(hosts ? { host: hosts.length === 1 ? hosts[0]! : hosts } : {}),
          path: own.path || '/*',
          ...(own.stripPrefix !== undefined ? { stripPrefix: own.stripPrefix } : {}),
        }
      : undefined
  return {
    ok: true,
    value: {
      disabled: own.enable?.toLowerCase() === 'false',
      pool: own.pool,
      port: own.port,
      weight,
      scheme: scheme as 'http' | 'https',
      ...(protocol ? { protocol: protocol as 'h2c' | 'h2' } : {}),
      network: own.network,
      route,
      meta,
    },
  }
}

/** The raw `<prefix>.scale.*` labels, keys without that prefix (`gatehouse.scale.min` → `min`), for `Scaler.settings`. */
export function scaleLabels(labels: Readonly<Record<string, string>>, prefix: string): Record<string, string> {
  const head = `${prefix}.scale.`
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(labels)) if (key.startsWith(head) && key.length > head.length) out[key.slice(head.length)] = value
  return out
}

function suggest(name: string, prefix: string): string {
  const scored = KNOWN.map((k) => [k, editDistance(k.toLowerCase(), name.toLowerCase())] as const).sort((a, b) => a[1] - b[1])
  const [near, d] = scored[0]!
  return d <= 2 ? ` (did you mean ${prefix}.${near}?)` : ''
}
