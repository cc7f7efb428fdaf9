/**
 * Waking a pool from zero first wakes the rest of its group (`<prefix>.group=shop`): the group's
 * stopped or paused containers outside the pool, level by level in compose's `depends_on` order
 * (groups.ts), each level waiting until its containers with a HEALTHCHECK are healthy (bounded by
 * one deadline for the whole group; past it the pool starts anyway and the log says why).
 * Sleeping never stops them: only the pool's own replicas sleep.
 */
import type { DiscoveryContext } from '../../core/types.ts'
import type { ContainerSummary, DockerApi } from './client.ts'
import { startLevels } from './groups.ts'

type Ctx = Pick<DiscoveryContext, 'log' | 'signal'>

export interface GroupWake {
  group: string
  prefix: string
  /** The pool's own containers: started by the scale itself, after the group. */
  exclude: ReadonlySet<string>
  deadline: number
  /** For log lines: `pool web (wake)`. */
  what: string
}

/** Resolves with the problems met (empty when all went well); never rejects. */
export async function wakeGroup(api: DockerApi, w: GroupWake, { log, signal }: Ctx): Promise<string[]> {
  const problems: string[] = []
  let members: ContainerSummary[]
  try {
    members = (await api.list([`${w.prefix}.group=${w.group}`])).filter((m) => !w.exclude.has(m.id) && m.state !== 'removing' && m.state !== 'dead')
  } catch (err) {
    return [`cannot list group ${w.group} (${message(err)})`]
  }
  for (const level of startLevels(members)) {
    if (signal.aborted) break
    await Promise.all(
      level.map(async (m) => {
        const act = m.state === 'paused' ? 'unpause' : m.state === 'exited' || m.state === 'created' ? 'start' : undefined
        try {
          if (act) {
            await api[act](m.id)
            log.info(`docker: ${act === 'start' ? 'started' : 'unpaused'} ${m.name} (${m.id.slice(0, 12)}) of group ${w.group} before ${w.what}`)
          }
          const health = await untilHealthy(api, m.id, w.deadline, signal)
          if (health !== 'healthy' && health !== 'no check') {
            const line = `${m.name} of group ${w.group} is not healthy (${health}); ${w.what} starts anyway`
            log.warn(`docker: ${line}`)
            if (health !== 'timed out') problems.push(line)
          }
        } catch (err) {
          problems.push(`${act ?? 'inspect'} ${m.name} (${m.id.slice(0, 12)}) of group ${w.group}: ${message(err)}`)
        }
      }),
    )
  }
  return problems
}

/** Polls the container's HEALTHCHECK verdict until healthy, the deadline, or it stops running. */
async function untilHealthy(api: DockerApi, id: string, deadline: number, signal: AbortSignal): Promise<'healthy' | 'no check' | 'not running' | 'gone' | 'timed out'> {
  for (;;) {
    const f = await api.inspect(id)
    if (!f) return 'gone'
    if (!f.running || f.paused) return 'not running'
    if (f.health === undefined) return 'no check'
    if (f.health === 'healthy') return 'healthy'
    if (Date.now() >= deadline || signal.aborted) return 'timed out'
    await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))))
  }
}

const message = (err: unknown) => (err as Error)?.message ?? String(err)
