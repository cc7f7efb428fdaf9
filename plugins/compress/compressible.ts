/**
 * Which responses are worth compressing: text-like media types only. Images, video, audio, fonts
 * in woff/woff2, archives and anything already compressed gain nothing and cost CPU.
 */

/** Media types compressed by default (besides every text/* and any +json / +xml suffix). */
export const DEFAULT_TYPES = [
  'application/json',
  'application/javascript',
  'application/ecmascript',
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/manifest+json',
  'application/x-ndjson',
  'application/wasm',
  'application/graphql-response+json',
  'image/svg+xml',
  'image/x-icon',
  'font/ttf',
  'font/otf',
]

/** The bare media type of a Content-Type value (`text/html; charset=utf-8` → `text/html`). */
export const mediaType = (contentType: string | undefined) => contentType?.split(';')[0]!.trim().toLowerCase() ?? ''

/** A matcher for `types`: exact types, `text/*`-style prefixes; +json/+xml suffixes count with the defaults. */
export function compressibleTypes(types: readonly string[] | undefined): (type: string) => boolean {
  const list = types ?? DEFAULT_TYPES
  const exact = new Set(list.filter((t) => !t.endsWith('/*')))
  const prefixes = list.filter((t) => t.endsWith('/*')).map((t) => t.slice(0, -1))
  const defaults = types === undefined
  return (type) =>
    exact.has(type) || prefixes.some((p) => type.startsWith(p)) || (defaults && (type.startsWith('text/') || /\+(json|xml)$/.test(type)))
}
