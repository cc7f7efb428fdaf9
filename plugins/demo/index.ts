/**
 * DEMO ONLY. Starts `count` tiny upstream servers inside the gateway process on loopback and
 * reports them as the pool's upstreams, so `npm start` shows balancing on a machine with nothing
 * else installed. Each answers `hello from demo upstream N` with an `x-upstream` header.
 * Replace it with a real discovery plugin (static, file, docker, etcd, dns) for anything else.
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { DiscoveryPlugin } from '../../core/types.ts'

const optionsSchema = z.strictObject({
  /** How many demo upstreams. Default 2. */
  count: z.number().int().min(1).max(16).default(2),
  /** First port (then +1…); 0 picks free ports. Default 0. */
  basePort: z.number().int().min(0).max(65535).default(0),
})

export function demoUpstreams(options: z.input<typeof optionsSchema> = {}): DiscoveryPlugin {
  return definePlugin('discovery', 'demoUpstreams', optionsSchema, options, ({ count, basePort }) => {
    return {
      async start({ emit, pool, io, signal, log }) {
        const servers = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            io.serve((req) => answer(i + 1, req), { port: basePort ? basePort + i : 0, hostname: '127.0.0.1' }),
          ),
        )
        const urls = servers.map((s) => `http://127.0.0.1:${s.port}`)
        log.warn(`DEMO: started ${count} demo upstreams inside the gateway (${urls.join(', ')}); replace demoUpstreams() for real use`)
        emit({ pools: { [pool ?? 'demo']: urls } })
        signal.addEventListener('abort', () => servers.forEach((s) => void s.close()), { once: true })
      },
    }
  })
}

function answer(n: number, req: Request): Response {
  const path = new URL(req.url).pathname
  return new Response(`hello from demo upstream ${n} (you asked for ${path})\n`, {
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-upstream': `demo-${n}` },
  })
}

export default demoUpstreams
