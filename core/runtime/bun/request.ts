/**
 * The Bun request as the core sees it. Bun builds `request.url` from the Host header and the
 * path, already normalized: dot segments resolved (`/a/../b` → `/b`), `\` turned into `/`; an
 * absolute-form target (`GET http://other/x`) loses its authority, so routing uses the Host
 * header. The query string is kept byte for byte.
 */
import type { Context } from 'hono'
import { originForm, webInbound } from '../web/inbound.ts'
import { WebRequest } from '../web/request.ts'
import type { BunServer } from './api.ts'

/** Bun's server is Hono's `c.env` (Hono's own convention): it knows the peer and upgrades WebSockets. */
export type BunRequest = WebRequest<BunServer>

export function bunRequest(c: Context): BunRequest {
  const req = c.req.raw
  const server = c.env as BunServer
  const peer = server?.requestIP(req)?.address ?? ''
  return new WebRequest(req, webInbound(req, peer, originForm(req.url), req.url.startsWith('https:')), server)
}
