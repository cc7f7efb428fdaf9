// Reading the Prometheus text format back in tests: samples by `name{labels}`, and promtool's own check.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { which } from './process.ts'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Every sample line, labels unescaped. */
export function samples(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}

/** The sum of a metric's samples whose labels include `match`. */
export function total(list: Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0
  for (const s of list) if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value
  return sum
}

/**
 * `promtool check metrics` (Debian's prometheus package; .ci/install-deps.sh installs it): the
 * exposition parses, and its lint finds nothing. A missing promtool is an error, never a skip.
 */
export function promtoolCheck(text: string): void {
  const promtool = which('promtool')
  assert.ok(promtool, 'promtool not found: .ci/install-deps.sh installs Debian\'s prometheus package')
  const run = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' })
  assert.equal(run.status, 0, `promtool check metrics:\n${run.stdout}${run.stderr}`)
}
