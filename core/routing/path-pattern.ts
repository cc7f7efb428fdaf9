/**
 * Path rules:
 * - `/exact`            matches only that path;
 * - `/api/*`            matches `/api` and everything below it (`/api/`, `/api/x/y`);
 * - `/users/:id`        one segment per param; `/users/:id/*` adds a rest;
 * - `/*`                matches every path.
 * Specificity (higher wins): exact paths first, then the rule with more literal characters, then
 * the one with fewer params. Ties keep config order (see route-table.ts).
 */
import { PARAM_KEY } from './pattern-index.ts'

export type PathMatcher =
  | { kind: 'exact'; path: string; score: number }
  | { kind: 'pattern'; re: RegExp; params: string[]; score: number; keys: string[] }

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/

export function isPathPattern(p: string): boolean {
  if (!p.startsWith('/')) return false
  const segs = p.split('/').slice(1)
  return segs.every((s, i) => (s === '*' ? i === segs.length - 1 : s.startsWith(':') ? PARAM.test(s) : !/[*:]/.test(s)))
}

export function compilePath(pattern: string): PathMatcher {
  const segs = pattern.split('/').slice(1)
  const rest = segs.at(-1) === '*'
  if (rest) segs.pop()
  const params: string[] = []
  const keys: string[] = [] // the segments as pattern-index.ts keys them
  let literal = 0
  let re = ''
  for (const seg of segs) {
    const param = PARAM.exec(seg)
    if (param) {
      params.push(param[1]!)
      keys.push(PARAM_KEY)
      re += '/([^/]+)'
    } else {
      keys.push(seg)
      literal += seg.length + 1
      re += '/' + escapeRe(seg)
    }
  }
  if (!rest && params.length === 0) return { kind: 'exact', path: pattern, score: 1e9 + literal }
  if (rest) re += '(?:/.*)?'
  else if (re === '') re = '/'
  // Literal characters dominate; each param costs a little so `/a/:x` loses to `/a/b` but beats `/a/*`.
  const score = literal * 100 + params.length * 10 + (rest ? 0 : 5)
  return { kind: 'pattern', re: new RegExp(`^${re}$`), params, score, keys }
}

export function matchPath(m: PathMatcher, path: string): Record<string, string> | undefined {
  if (m.kind === 'exact') return m.path === path ? NO_PARAMS : undefined
  const hit = m.re.exec(path)
  if (!hit) return undefined
  if (m.params.length === 0) return NO_PARAMS
  const out: Record<string, string> = {}
  m.params.forEach((name, i) => (out[name] = hit[i + 1]!))
  return out
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
