/**
 * Deno's upstream client, chosen once at start: undici through Deno's node:net by default, or the
 * gateway's own HTTP/1.1 client (`GATEHOUSE_DENO_CLIENT=http1`, ../http1/). The new client passes
 * every suite on Deno, but quick bench runs on a shared box did not yet show it clearly faster
 * (0.19–0.25× vs 0.16–0.21× of direct access), so it stays opt-in until measured properly.
 */
import type { Transport } from '../types.ts'
import { deno } from './api.ts'
import { http1Transport } from './http1-transport.ts'
import { undiciTransport } from './undici-transport.ts'

function chosen(): string | undefined {
  try {
    return deno?.env.get('GATEHOUSE_DENO_CLIENT')
  } catch {
    return undefined // no --allow-env for it: the default
  }
}

export const denoTransport: Transport = chosen() === 'http1' ? http1Transport : undiciTransport
