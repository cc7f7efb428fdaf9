/**
 * The Bun request as the core sees it. Bun builds `request.url` from the Host header and the
 * path, already normalized: dot segments resolved (`/a/../b` → `/b`), `\` turned into `/`; an
 * absolute-form target (`GET http://other/x`) loses its authority, so routing uses the Host
 * header. The query string is kept byte for byte.
 */
import type { Context } from 'hono'
import type { Inbound } from '../types.ts'
import { originForm, webInbound } from '../web/inbound.ts'
import type { BunServer } from './api.ts'

export function bunInbound(c: Context): Inbound {
  const req = c.req.raw
  const peer = (c.env as BunServer | undefined)?.requestIP(req)?.address ?? ''
  return webInbound(req, peer, originForm(req.url), req.url.startsWith('https:'))
}
