/**
 * The Swarm plugin's Scaler (core/plugin/scaler.ts). Swarm places, starts, restarts and updates
 * tasks by itself; scaling a pool is setting its service's `Spec.Mode.Replicated.Replicas`, as
 * `docker service scale` does, and the snapshots that follow show the tasks come and go.
 *
 * - `running`: replicas (slots) with a task wanted and not ended: serving or still starting.
 * - `asleep`: 1 for a service at 0 replicas (a wake sets it back), else 0.
 * - `settings`: the `<prefix>.scale.*` labels of the pool's newest service, raw.
 * - `scale`: reads the service's spec and version, writes the new replica count with that version
 *   (Swarm refuses a stale one: someone updated the service meanwhile; then it reads and writes
 *   once more). One scale per pool at a time; a later one waits for the earlier.
 *
 * `ScaleAction.how` and `clone` do not apply: a Swarm scale-in always stops tasks (no pause), and
 * Swarm creates the tasks a scale-out needs. A pool must be backed by exactly one replicated
 * service to scale (a global service runs one task per node; several services would leave open
 * which one to change): otherwise `scale` rejects, saying why.
 */
import type { Logger } from '../../core/types.ts'
import type { ScaleAction, Scaler } from '../../core/plugin/scaler.ts'
import { VersionConflict, type ServiceSpec, type SwarmApi } from './client.ts'
import { scaleLabels } from './labels.ts'
import { replicasRunning } from './task-state.ts'
import type { Member } from './translate.ts'
import type { Watcher } from './watch.ts'

export function swarmScaler(api: SwarmApi, w: Watcher, log: Logger, prefix: string): Scaler {
  const membersOf = (pool: string) => w.current()?.members[pool] ?? []
  const queues = new Map<string, Promise<void>>()

  const scaleNow = async (pool: string, replicas: number, action: ScaleAction) => {
    await w.ensureListed()
    const members = membersOf(pool)
    if (!members.length) throw new Error(`swarm: no service serves pool "${pool}"`)
    if (members.length > 1) throw new Error(`swarm: pool "${pool}" is served by ${members.length} services (${members.map((m) => m.service.name).join(', ')}); scaling needs exactly one`)
    const { service } = members[0]!
    for (let attempt = 1; ; attempt++) {
      const now = await api.inspectService(service.id)
      if (!now) throw new Error(`swarm: service ${service.name} (pool "${pool}") is gone`)
      const replicated = now.spec.Mode?.Replicated
      if (!replicated) throw new Error(`swarm: service ${service.name} (pool "${pool}") is not in replicated mode; only replicated services scale`)
      const from = replicated.Replicas ?? 1
      if (from === replicas) return
      const spec: ServiceSpec = { ...now.spec, Mode: { ...now.spec.Mode, Replicated: { ...replicated, Replicas: replicas } } }
      try {
        await api.updateService(service.id, now.version, spec)
      } catch (err) {
        if (err instanceof VersionConflict && attempt === 1) continue // updated meanwhile: read the new version, write once more
        throw err
      }
      log.info(`swarm: service ${service.name} (pool "${pool}") scaled ${from} → ${replicas} (${action.reason})`)
      w.converge()
      return
    }
  }

  return {
    asleep: (pool) => membersOf(pool).filter((m) => m.service.replicas === 0).length,
    running: (pool) => membersOf(pool).reduce((n, m) => n + replicasRunning(m.tasks), 0),
    settings(pool) {
      const newest = membersOf(pool).reduce<Member | undefined>((a, m) => (!a || m.service.createdAt > a.service.createdAt ? m : a), undefined)
      return newest && scaleLabels(newest.service.labels, prefix)
    },
    scale(pool, replicas, action) {
      const next = (queues.get(pool) ?? Promise.resolve()).catch(() => {}).then(() => scaleNow(pool, replicas, action))
      queues.set(pool, next)
      const done = () => void (queues.get(pool) === next && queues.delete(pool))
      next.then(done, done)
      return next
    },
  }
}
