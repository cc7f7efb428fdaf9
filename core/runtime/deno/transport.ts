/**
 * Deno's upstream client, chosen once at start: the gateway's own strict HTTP/1.1 client over
 * Deno.connect (../http1/) by default; undici through Deno's node:net with
 * `GATEHOUSE_DENO_CLIENT=undici`. Measured on the bench machine (CPU profile, same load): the
 * own client spends about half the CPU per request that undici on Deno's Node layer does.
 * Deno's fetch is not an option: it decompresses bodies (../web/dispatch-transport.ts says why).
 */
import type { Transport } from '../types.ts'
import { deno } from './api.ts'
import { http1Transport } from '../http1/transport.ts'
import { denoConnector } from './socket.ts'
import { upgradeToUpstream } from './websocket.ts'
import { webDispatchTransport } from '../web/dispatch-transport.ts'
import { dispatchClients } from '../undici.ts'

function chosen(): string | undefined {
  try {
    return deno?.env.get('GATEHOUSE_DENO_CLIENT')
  } catch {
    return undefined // no --allow-env for it: the default
  }
}

export const denoTransport: Transport = chosen() === 'undici' ? webDispatchTransport(dispatchClients(), upgradeToUpstream) : http1Transport(denoConnector, upgradeToUpstream)
