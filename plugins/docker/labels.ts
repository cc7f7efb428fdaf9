/**
 * The container labels the Docker plugin reads (shown with the default prefix `gatehouse`):
 *
 * | label | meaning |
 * |---|---|
 * | `gatehouse.enable=false` | never use this container (any other value: no effect) |
 * | `gatehouse.pool=web` | top level: the pool it serves (default: its compose service, else its name); under a pool: the default selection |
 * | `gatehouse.port=8000` | the container port to send to (default: the `containerPort` option, else the only exposed port) |
 * | `gatehouse.weight=2` | relative share of traffic, 1–1000 (default 1) |
 * | `gatehouse.scheme=https` | talk to it over https (default http) |
 * | `gatehouse.protocol=h2c` | HTTP/2 to it: `h2c` (cleartext, e.g. gRPC) or `h2` (over TLS); default `http1` |
 * | `gatehouse.network=backend` | take its address on this network (default: the published port, else its only network) |
 * | `gatehouse.host=app1.example.com,www.example.com` | add a route for these hosts to its pool |
 * | `gatehouse.path=/api/*` | the route's path (default `/*`); alone, a route for any host |
 * | `gatehouse.stripPrefix=/api` | the route strips this prefix before forwarding |
 * | `gatehouse.version=v2` | the upstream label `version`: the version a pool's `release` policy groups it under (same as `gatehouse.meta.version`) |
 * | `gatehouse.meta.<key>=<value>` | an upstream label `<key>` for balancers (canary tracks, zones) |
 * | `gatehouse.scale.<key>=<value>` | the pool's scale settings (`scale.min=0`, `scale.idle=10m`, …; keys in core/config/scale-schema.ts), read from its newest container |
 * | `gatehouse.group=shop` | waking the pool first starts the group's other stopped containers (its database), in compose's `depends_on` order |
 * | `gatehouse.clone=true` | set by the plugin on the replicas it clones: scaling in removes only these |
 *
 * Any other label under the prefix is a mistake (a typo would silently do nothing), so the
 * container is skipped with a reason naming it, like a bad value. Scale labels are the exception:
 * they are handed over raw and the core validates them, so a bad one is reported without taking
 * the container out of its pool.
 */

export { POOL_NAME } from '../../core/config/schema.ts'
import { POOL_NAME } from '../../core/config/schema.ts'
import { editDistance } from '../../core/config/edit-distance.ts'
import { SCALE_LABEL_KEYS } from '../../core/config/scale-schema.ts'

const KNOWN = ['enable', 'pool', 'port', 'weight', 'scheme', 'protocol', 'network', 'host', 'path', 'stripPrefix', 'version', 'group', 'clone'] as const

export interface ContainerLabels {
  disabled: boolean
  pool?: string
  port?: number
  weight: number
  scheme: 'http' | 'https'
  /** HTTP/2 to it: h2c (cleartext, prior knowledge) or h2 (over TLS); absent: HTTP/1.1. */
  protocol?: 'h2c' | 'h2'
  network?: string
  /** Present when `host` or `path` is set: the container asks for a route. */
  route?: { host?: string | string[]; path: string; stripPrefix?: string }
  meta: Record<string, string>
  /** Raw `<prefix>.scale.*` values by key (`min`, `idle.stop`, …), unchecked. */
  scale: Record<string, string>
  group?: string
  /** Created by the plugin's scaler (scale-in removes it). */
  clone: boolean
}

export type LabelResult = { ok: true; value: ContainerLabels } | { ok: false; problems: string[] }

/** Reads the labels under `prefix`; each bad one becomes a problem naming the label. */
export function readLabels(labels: Readonly<Record<string, string>>, prefix: string): LabelResult {
  const own: Record<string, string> = {}
  const meta: Record<string, string> = {}
  const scale: Record<string, string> = {}
  const problems: string[] = []
  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(`${prefix}.`)) continue
    const name = key.slice(prefix.length + 1)
    if (name.startsWith('meta.') && name.length > 5) meta[name.slice(5)] = value
    else if (name.startsWith('scale.') && name.length > 6) scale[name.slice(6)] = value.trim()
    else if ((KNOWN as readonly string[]).includes(name)) own[name] = value.trim()
    else problems.push(`${key}: unknown label${suggest(name, prefix)}`)
  }
  const label = (name: string) => `${prefix}.${name}`

  const port = own.port === undefined ? undefined : Number(own.port)
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) problems.push(`${label('port')}: "${own.port}" is not a port (1-65535)`)
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
  if (own.group === '') problems.push(`${label('group')}: empty`)
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
      port,
      weight,
      scheme: scheme as 'http' | 'https',
      ...(protocol ? { protocol: protocol as 'h2c' | 'h2' } : {}),
      network: own.network,
      route,
      meta,
      scale,
      ...(own.group !== undefined ? { group: own.group } : {}),
      clone: own.clone === 'true',
    },
  }
}

const SUGGESTIONS = [...KNOWN, ...SCALE_LABEL_KEYS.map((k) => `scale.${k}`)]

function suggest(name: string, prefix: string): string {
  const scored = SUGGESTIONS.map((k) => [k, editDistance(k.toLowerCase(), name.toLowerCase())] as const).sort((a, b) => a[1] - b[1])
  const [near, d] = scored[0]!
  return d <= 2 ? ` (did you mean ${prefix}.${near}?)` : ''
}
