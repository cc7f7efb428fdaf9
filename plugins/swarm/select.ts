/**
 * Which services a source takes, by their service labels and name: every `label` selector must
 * match (`key=value`, or just `key` for "present"), and the name must equal `service` when given.
 * Without either, a source under a pool takes the services labelled `<prefix>.pool=<that pool>`,
 * and a top-level source every service with some `<prefix>.*` label. `<prefix>.enable=false`
 * always opts out.
 */

export interface LabelSelector {
  key: string
  /** Undefined: the label only has to be present. */
  value?: string
}

export interface Selection {
  labels: LabelSelector[]
  service?: string
  prefix: string
}

/** `'gatehouse.pool=web'` → `{ key: 'gatehouse.pool', value: 'web' }`; `'gatehouse.enable'` → `{ key }`. */
export function parseSelector(text: string): LabelSelector {
  const eq = text.indexOf('=')
  return eq < 0 ? { key: text.trim() } : { key: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() }
}

/** The selection a source uses, with the defaults above filled in. */
export function selection(opts: { label?: string[]; service?: string; prefix: string }, pool: string | undefined): Selection {
  const labels = (opts.label ?? []).map(parseSelector)
  if (!labels.length && opts.service === undefined && pool !== undefined) labels.push({ key: `${opts.prefix}.pool`, value: pool })
  return { labels, service: opts.service, prefix: opts.prefix }
}

export function selects(sel: Selection, s: { name: string; labels: Readonly<Record<string, string>> }): boolean {
  if (s.labels[`${sel.prefix}.enable`]?.trim().toLowerCase() === 'false') return false
  if (sel.service !== undefined && s.name !== sel.service) return false
  for (const { key, value } of sel.labels) {
    if (!(key in s.labels) || (value !== undefined && s.labels[key] !== value)) return false
  }
  if (sel.service === undefined && !sel.labels.length) return Object.keys(s.labels).some((k) => k.startsWith(`${sel.prefix}.`))
  return true
}

/** Docker `label` filters that narrow the service list; `selects` still decides. */
export function labelFilters(sel: Selection): string[] {
  return sel.labels.map(({ key, value }) => (value === undefined ? key : `${key}=${value}`))
}
