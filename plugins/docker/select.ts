/**
 * Which containers a source takes: every `label` selector must match (`key=value`, or just `key`
 * for "present"), and the container's image must match `image` when given. Without either, a
 * source under a pool takes containers labelled `<prefix>.pool=<that pool>`, and a top-level
 * source takes every container with some `<prefix>.*` label other than `<prefix>.group` (a
 * container labelled only with its group, like an app's database, is started with the app, not
 * served). `<prefix>.enable=false` always opts out.
 */

export interface LabelSelector {
  key: string
  /** Undefined: the label only has to be present. */
  value?: string
}

export interface Selection {
  labels: LabelSelector[]
  image?: string
  prefix: string
}

/** `'gatehouse.pool=web'` → `{ key: 'gatehouse.pool', value: 'web' }`; `'gatehouse.enable'` → `{ key }`. */
export function parseSelector(text: string): LabelSelector {
  const eq = text.indexOf('=')
  return eq < 0 ? { key: text.trim() } : { key: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() }
}

/** The selection a source uses, with the defaults above filled in. */
export function selection(opts: { label?: string[]; image?: string; prefix: string }, pool: string | undefined): Selection {
  const labels = (opts.label ?? []).map(parseSelector)
  if (!labels.length && !opts.image && pool !== undefined) labels.push({ key: `${opts.prefix}.pool`, value: pool })
  return { labels, image: opts.image, prefix: opts.prefix }
}

/** Whether a container (by its labels and image) belongs to the source. */
export function selects(sel: Selection, c: { labels: Readonly<Record<string, string>>; image: string }): boolean {
  if (c.labels[`${sel.prefix}.enable`]?.trim().toLowerCase() === 'false') return false
  for (const { key, value } of sel.labels) {
    if (!(key in c.labels) || (value !== undefined && c.labels[key] !== value)) return false
  }
  if (sel.image !== undefined) return imageMatches(c.image, sel.image)
  if (!sel.labels.length) return Object.keys(c.labels).some((k) => k.startsWith(`${sel.prefix}.`) && k !== `${sel.prefix}.group`)
  return true
}

/** Docker list/events filters that narrow what the daemon sends; `selects` still decides. */
export function labelFilters(sel: Selection): string[] {
  return sel.labels.map(({ key, value }) => (value === undefined ? key : `${key}=${value}`))
}

/**
 * `myapp` matches `myapp`, `myapp:1.2`, `docker.io/library/myapp:latest` and `myapp@sha256:…`;
 * `myapp:1.2` matches only that tag. Registries with a port (`host:5000/app`) are handled.
 */
export function imageMatches(image: string, want: string): boolean {
  const a = parseImage(image)
  const b = parseImage(want)
  if (a.repo !== b.repo) return false
  if (b.digest) return a.digest === b.digest
  if (b.tag) return (a.tag ?? (a.digest ? undefined : 'latest')) === b.tag
  return true
}

function parseImage(ref: string): { repo: string; tag?: string; digest?: string } {
  let rest = ref.trim().toLowerCase()
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) [rest, digest] = [rest.slice(0, at), rest.slice(at + 1)]
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) [rest, tag] = [rest.slice(0, colon), rest.slice(colon + 1)]
  // Docker Hub's implicit names: `myapp` is `docker.io/library/myapp`.
  rest = rest.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '')
  return { repo: rest, tag, digest }
}
