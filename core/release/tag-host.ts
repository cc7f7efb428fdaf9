/**
 * Tag hosts (Knative's tag URLs): `v2--app.example.com` is `app.example.com` pinned to version
 * `v2`, for a pool whose release has `tagHost: true`. Only a host with `--` pays for the split.
 */

/** `{version}--{host}` → both parts; undefined when the host carries no tag. */
export function splitTagHost(host: string): { tag: string; host: string } | undefined {
  const at = host.indexOf('--')
  if (at <= 0 || at + 2 >= host.length) return undefined
  return { tag: host.slice(0, at), host: host.slice(at + 2) }
}
