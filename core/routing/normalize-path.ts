/**
 * One normalization used for both matching and forwarding, so a rule on `/admin` cannot be
 * bypassed by `/public/../admin`, `/%2e%2e/admin`, `//admin` or `/%61dmin`:
 * - percent-encoded unreserved characters (A-Z a-z 0-9 - . _ ~) are decoded, other escapes are
 *   kept with upper-case hex (so `%2F` stays an encoded slash, never a separator);
 * - repeated slashes are merged;
 * - `.` and `..` segments are resolved (never above the root).
 * Returns undefined for a path that cannot be a valid origin-form path (bad escape, control
 * character, encoded NUL, backslash): the caller answers 400.
 * A path without `%`, `//` or `/.` is returned as is (the common case costs one scan).
 */
const UNRESERVED = /[A-Za-z0-9\-._~]/

export function normalizePath(path: string): string | undefined {
  if (path.charCodeAt(0) !== 47 /* / */) return undefined
  let needsWork = false
  for (let i = 0; i < path.length; i++) {
    const ch = path.charCodeAt(i)
    if (ch <= 0x20 || ch === 0x7f || ch === 92 /* \ */) return undefined
    if (ch === 37 /* % */ || (ch === 47 && (path.charCodeAt(i + 1) === 47 || path.charCodeAt(i + 1) === 46))) needsWork = true
  }
  if (!needsWork) return path

  const decoded = decodeUnreserved(path)
  if (decoded === undefined) return undefined
  const out: string[] = []
  const segments = decoded.split('/')
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!
    const last = i === segments.length - 1
    if (seg === '' && !last) continue // merged slash
    if (seg === '.') {
      if (last) out.push('')
      continue
    }
    if (seg === '..') {
      out.pop()
      if (last) out.push('')
      continue
    }
    out.push(seg)
  }
  return '/' + out.join('/')
}

function decodeUnreserved(path: string): string | undefined {
  if (!path.includes('%')) return path
  let out = ''
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!
    if (ch !== '%') {
      out += ch
      continue
    }
    const hex = path.slice(i + 1, i + 3)
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined
    const code = parseInt(hex, 16)
    if (code < 0x20 || code === 0x7f) return undefined // encoded control characters (%00, %0a…)
    if (code === 0xc0 || code === 0xc1) return undefined // overlong UTF-8 (%c0%ae = "." to lenient decoders)
    const c = String.fromCharCode(code)
    out += UNRESERVED.test(c) ? c : '%' + hex.toUpperCase()
    i += 2
  }
  return out
}

/** Splits an origin-form request target into its path and its raw query (`?…`, kept byte for byte). */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?')
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q) }
}

/**
 * The path routes are matched on. Forwarding keeps `%2F` encoded (as received), but an upstream
 * may decode it: `/admin%2Fsecret` or `/public/..%2Fadmin` would then reach `/admin/…` while a
 * matcher reading them literally sent them to a public route. So matching reads encoded slashes
 * (and backslashes, which some servers treat as slashes) as separators, and resolves again:
 * the rule that applies is the one for the most expanded reading of the path.
 */
export function matchingPath(normalized: string): string | undefined {
  if (!/%(2F|5C)/.test(normalized)) return normalized
  return normalizePath(normalized.replace(/%(2F|5C)/g, '/'))
}
