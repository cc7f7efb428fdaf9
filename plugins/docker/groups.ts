/**
 * The order in which a group's other containers start before its pool wakes (its database, its
 * cache): compose writes each service's dependencies on its containers as
 * `com.docker.compose.depends_on=db:service_healthy:false,cache:service_started:false`, and the
 * service as `com.docker.compose.service` (within `com.docker.compose.project`). Pure.
 *
 * The result is levels: a level's containers depend only on earlier levels', so each level starts
 * at once and the next waits for it. Containers without compose labels depend on nothing. A cycle
 * (compose refuses one, hand-written labels may not) ends up in one last level rather than hanging.
 */
import type { ContainerSummary } from './client.ts'

const PROJECT = 'com.docker.compose.project'
const SERVICE = 'com.docker.compose.service'
const DEPENDS_ON = 'com.docker.compose.depends_on'

const serviceKey = (project: string | undefined, service: string) => `${project ?? ''}\u0000${service}`

/** `db:service_healthy:false,cache` → ['db', 'cache']. */
export function dependsOn(label: string | undefined): string[] {
  return (label ?? '')
    .split(',')
    .map((d) => d.split(':')[0]!.trim())
    .filter(Boolean)
}

export function startLevels<T extends Pick<ContainerSummary, 'id' | 'name' | 'labels'>>(members: readonly T[]): T[][] {
  const keyOf = (m: T) => (m.labels[SERVICE] ? serviceKey(m.labels[PROJECT], m.labels[SERVICE]) : `\u0001${m.id}`)
  const present = new Set(members.map(keyOf))
  // A dependency outside the group (or not a container here) cannot be waited for: ignored.
  const needs = new Map(members.map((m) => [m.id, dependsOn(m.labels[DEPENDS_ON]).map((s) => serviceKey(m.labels[PROJECT], s)).filter((k) => present.has(k) && k !== keyOf(m))]))
  const byName = (a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const levels: T[][] = []
  const started = new Set<string>()
  let left = [...members].sort(byName)
  while (left.length) {
    const ready = left.filter((m) => needs.get(m.id)!.every((k) => started.has(k)))
    const level = ready.length ? ready : left // a cycle: the rest together
    levels.push(level)
    // A service counts as started once all its containers are.
    left = left.filter((m) => !level.includes(m))
    for (const m of level) if (!left.some((o) => keyOf(o) === keyOf(m))) started.add(keyOf(m))
  }
  return levels
}
