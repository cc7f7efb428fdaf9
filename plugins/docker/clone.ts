/**
 * A new replica made from a pool's newest container (`scale.clone`): the same image, command,
 * environment, labels, host settings and network, marked `<prefix>.clone=true` so that scaling in
 * removes only what the scaler made. Pure: inspect JSON in, create options out.
 *
 * Two replicas cannot share a host port, so:
 * - `--network host`: the clone gets a port of its own, as `PORT=<p>` in its environment and the
 *   `<prefix>.port=<p>` label (the $PORT convention of Heroku and Cloud Run). A host-network app
 *   can be cloned only if it listens on $PORT.
 * - published ports (`-p 8080:8000`): the clone publishes the same container ports on ports Docker
 *   picks, which the plugin reads back like any published port.
 * - its own network: nothing to change, each replica has its own address. Only the network of its
 *   network mode is joined (Docker creates a container on one network).
 *
 * The image is the name it was created from (`myapp:1.2`), so image selection keeps matching it.
 */
import type { ContainerInfo, CreateSpec } from './client.ts'

export interface CloneOptions {
  prefix: string
  /** Written as `<prefix>.pool` (top level): a clone's name must not make it a pool of its own. */
  pool?: string
  /** The host port of a `--network host` clone. */
  port?: number
}

export function cloneSpec(info: ContainerInfo, o: CloneOptions): CreateSpec {
  // The original's identity (hostname = its id on a network of its own) must not be copied.
  const { Hostname: _h, Domainname: _d, ...config } = info.Config
  const env = (config.Env ?? []).filter((e) => o.port === undefined || !e.startsWith('PORT='))
  if (o.port !== undefined) env.push(`PORT=${o.port}`)
  const labels: Record<string, string> = { ...config.Labels, [`${o.prefix}.clone`]: 'true' }
  if (o.pool !== undefined) labels[`${o.prefix}.pool`] = o.pool
  if (o.port !== undefined) labels[`${o.prefix}.port`] = String(o.port)

  const host = { ...info.HostConfig } as NonNullable<CreateSpec['HostConfig']>
  const bindings = info.HostConfig?.PortBindings as Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | undefined
  if (bindings) {
    host.PortBindings = Object.fromEntries(Object.entries(bindings).map(([port, list]) => [port, (list ?? []).map((b) => ({ HostIp: b.HostIp ?? '', HostPort: '' }))]))
  }

  const mode = info.HostConfig?.NetworkMode ?? 'default'
  const own = info.NetworkSettings?.Networks?.[mode]
  const networking =
    own && !['host', 'bridge', 'default', 'none'].includes(mode) && !mode.startsWith('container:')
      ? { EndpointsConfig: { [mode]: { Aliases: (own.Aliases ?? []).filter((a: string) => a !== info.Name.replace(/^\//, '') && !info.Id.startsWith(a)) } } }
      : undefined

  return {
    ...config,
    Image: config.Image,
    Env: env,
    Labels: labels,
    HostConfig: host,
    ...(networking ? { NetworkingConfig: networking } : {}),
  }
}

/** `web-1` → `web-1-clone-3f9a1c`; a clone's clone is named after the original. */
export function cloneName(name: string): string {
  const suffix = [...crypto.getRandomValues(new Uint8Array(3))].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${name.replace(/-clone-[0-9a-f]{6}$/, '')}-clone-${suffix}`
}

/** The first port above `from` that no replica of the pool uses. */
export function freePortAbove(from: number, used: ReadonlySet<number>): number | undefined {
  for (let p = from + 1; p <= 65535; p++) if (!used.has(p)) return p
  return undefined
}
