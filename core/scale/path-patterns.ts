/** `wake.ignore` patterns: an exact path, or a prefix when it ends in "*" ("/health*" matches "/healthz" and "/health/live"). */
export function pathMatcher(patterns: readonly string[]): (path: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')))
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1))
  return (path) => exact.has(path) || prefixes.some((p) => path.startsWith(p))
}
