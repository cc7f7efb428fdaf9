/** Turns zod issues into one line per bad field: `pools.web.timeouts.connect: expected a duration like "2s"`. */
import type { z } from 'zod'
import { editDistance } from './edit-distance.ts'

export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out ? `.${String(key)}` : String(key)
  }
  return out || '(root)'
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  const lines: string[] = []
  for (const issue of issues) {
    // A union reports one branch per alternative; show the branch closest to what the user wrote.
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a))
      lines.push(...formatIssues(best, [...prefix, ...issue.path]))
      continue
    }
    // A typo'd field: name it at its own path, with the nearest known field when there is one.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${formatPath([...prefix, ...issue.path, key])}: unknown field${suggest(key, knownKeys(issue))}`)
      continue
    }
    // A bad record key: name the key and say what a key must be.
    if (issue.code === 'invalid_key' && issue.issues.length) {
      lines.push(...formatIssues(issue.issues, [...prefix, ...issue.path]).map((l) => l.replace(/: /, ' (key): ')))
      continue
    }
    lines.push(`${formatPath([...prefix, ...issue.path])}: ${issue.message}`)
  }
  return [...new Set(lines)]
}

/** zod does not list the allowed keys; the caller's schema can pass them through `input`'s shape. */
function knownKeys(issue: z.core.$ZodIssueUnrecognizedKeys): string[] {
  const input = issue.input
  return input && typeof input === 'object' ? Object.keys(input).filter((k) => !issue.keys.includes(k)) : []
}

function suggest(key: string, known: readonly string[]): string {
  const near = [...known, ...COMMON_FIELDS].find((k) => k !== key && editDistance(k.toLowerCase(), key.toLowerCase()) <= 2)
  return near ? ` (did you mean "${near}"?)` : ''
}

/** Field names of the config schema, for suggestions on typos. */
const COMMON_FIELDS = ['listen', 'pools', 'routes', 'discovery', 'trustedProxies', 'healthPath', 'shutdown', 'upstreams', 'balancer', 'retries', 'timeouts', 'connect', 'firstByte', 'idle', 'host', 'path', 'methods', 'headers', 'pool', 'stripPrefix', 'rewrite', 'hostHeader', 'requestHeaders', 'responseHeaders', 'use', 'port', 'weight', 'labels', 'grace']

const depth = (issues: readonly z.core.$ZodIssue[]) => Math.max(0, ...issues.map((i) => i.path.length))

/** A config that must not start the gateway: each line names a field and the reason. */
export class ConfigError extends Error {
  constructor(readonly problems: string[], source = 'config') {
    super(`invalid ${source}:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

/** Validates a plugin factory's options at the call, naming the plugin and the bad field. */
export function parseOptions<S extends z.ZodType>(plugin: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  throw new ConfigError(formatIssues(result.error.issues, []).map((l) => `${plugin}(): ${l}`), `options for plugin ${plugin}`)
}

/** By name, not instanceof: a config outside the repo may load its own copy of this module. */
export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof Error && err.name === 'ConfigError' && Array.isArray((err as ConfigError).problems)
}
