/** The path sent upstream: the normalized path, minus the route's stripPrefix, then its rewrite. */
export interface PathRules {
  stripPrefix?: string
  rewrite?: { re: RegExp; replacement: string }
}

export function forwardPath(path: string, query: string, rules: PathRules): string {
  let p = path
  const prefix = rules.stripPrefix
  if (prefix && prefix !== '/' && (p === prefix || p.startsWith(prefix + '/'))) p = p.slice(prefix.length) || '/'
  if (rules.rewrite) {
    p = p.replace(rules.rewrite.re, rules.rewrite.replacement)
    if (!p.startsWith('/')) p = '/' + p
  }
  return p + query
}
