/**
 * The PluginIO of runtimes that provide Node's modules (`node:fs`, `node:dns`, `node:http`,
 * `node:os`, `node:http2`'s client): Node itself, Bun and Deno. Each runtime adds what differs (its server, its health
 * probe client, how it reads the environment).
 */
import { Agent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { hostname } from 'node:os'
import type { PluginIO } from '../../plugin/io.ts'
import { nodeDns } from './dns.ts'
import { nodeFiles } from './files.ts'
import { http2Check } from './http2-check.ts'

export function nodeCompatibleIO(own: Pick<PluginIO, 'serve' | 'healthCheck' | 'env' | 'processStats'>): PluginIO {
  return {
    ...own,
    http2Check,
    files: nodeFiles,
    dns: nodeDns,
    httpAgent: (opts) => {
      const settings = { keepAlive: true, maxFreeSockets: opts?.maxFreeSockets ?? 4 }
      return opts?.ca === undefined ? new Agent(settings) : new HttpsAgent({ ...settings, ca: opts.ca })
    },
    hostname: () => hostname(),
  }
}
