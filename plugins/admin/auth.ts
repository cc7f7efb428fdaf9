/**
 * Who may use the admin listener. With a token, every request must carry it: as
 * `Authorization: Bearer <token>`, or as the `gatehouse_admin` cookie that `/dashboard?token=…`
 * sets (a browser's EventSource cannot send headers). Without a token the listener is on
 * 127.0.0.1 and only loopback host names are answered, so a web page cannot reach it through DNS
 * rebinding. Either way a POST from another origin (a page posting a form) is refused.
 */
import type { MiddlewareHandler } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'

export const COOKIE = 'gatehouse_admin'
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i

/** Loopback addresses that need no token: the only ones no other machine can reach. */
export const isLocalOnly = (host: string): boolean => host === '127.0.0.1' || host === 'localhost' || host === '::1'

export function adminAuth(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin')
      if (origin && origin !== 'null' && URL.canParse(origin) && new URL(origin).host !== c.req.header('host')) return c.json({ error: 'cross-origin request refused' }, 403)
      if (origin === 'null') return c.json({ error: 'cross-origin request refused' }, 403)
    }
    if (!token) {
      if (!LOOPBACK_HOST.test(c.req.header('host') ?? '')) return c.json({ error: 'the admin listener answers loopback host names only' }, 403)
      return next()
    }
    // The dashboard's login: a link with the token sets the cookie, then the token leaves the URL.
    const offered = c.req.query('token')
    if (offered !== undefined && c.req.method === 'GET' && c.req.path === '/dashboard') {
      if (!sameSecret(offered, token)) return loginPage(c, 401)
      setCookie(c, COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' })
      return c.redirect('/dashboard', 303)
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    const presented = bearer ?? getCookie(c, COOKIE)
    if (presented !== undefined && sameSecret(presented, token)) return next()
    if (c.req.path === '/dashboard' || c.req.path === '/') return loginPage(c, 401)
    c.header('www-authenticate', 'Bearer realm="gatehouse admin"')
    return c.json({ error: 'admin token required (Authorization: Bearer <token>)' }, 401)
  }
}

/** Compares in time independent of where the strings differ. */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a)
  const y = new TextEncoder().encode(b)
  let diff = x.length ^ y.length
  for (let i = 0; i < y.length; i++) diff |= (x[i] ?? 0) ^ y[i]!
  return diff === 0
}

function loginPage(c: Parameters<MiddlewareHandler>[0], status: 401) {
  c.header('www-authenticate', 'Bearer realm="gatehouse admin"')
  return c.html(
    `<!doctype html><meta charset="utf-8"><title>Gatehouse admin</title>
<form method="get" action="/dashboard" style="font:16px system-ui;margin:4em auto;max-width:22em">
<p>This admin listener needs its token.</p><input name="token" type="password" autofocus style="width:100%"> <button>Open the dashboard</button></form>`,
    status,
  )
}
