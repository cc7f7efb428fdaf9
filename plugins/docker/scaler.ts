/**
 * The Docker plugin's Scaler (core/plugin/scaler.ts): the core decides when a pool sleeps, wakes or
 * scales; this starts, stops, pauses, unpauses, clones and removes its containers.
 *
 * Counts and settings come from the watch's latest view (what the snapshots show). A scale works
 * from fresh inspects instead, since events about its own last actions may still be on their way;
 * clones it created but the view does not show yet are remembered. Calls for one pool run one at a
 * time, the last target winning (latest-wins.ts); a pass that is overtaken stops between steps.
 * A pass resolves once Docker did its actions (a stop: once the container exited, at most the
 * grace), and rejects naming every action that failed, after trying all of them.
 */
import type { DiscoveryContext, ScaleAction, Scaler } from '../../core/types.ts'
import type { DockerApi } from './client.ts'
import { cloneName, cloneSpec, freePortAbove } from './clone.ts'
import { stateOf } from './facts.ts'
import { wakeGroup } from './group-wake.ts'
import { LatestWins } from './latest-wins.ts'
import { idle, plan } from './plan.ts'
import { counts, isRunning, newest, type Replica } from './replicas.ts'

export interface ScalerSettings {
  prefix: string
  /** Top level: pools come from labels, so a clone is labelled with its pool. */
  topLevel: boolean
  /** Seconds between a replica's stop signal and its kill. */
  stopGraceS: number
  /** How long a wake waits, at most, for the group's containers to be healthy. */
  groupTimeoutMs: number
}

type Ctx = Pick<DiscoveryContext, 'log' | 'signal'>
type View = () => Readonly<Record<string, readonly Replica[]>>

export function dockerScaler(api: DockerApi, view: View, s: ScalerSettings, ctx: Ctx): Scaler {
  const { log, signal } = ctx
  const lanes = new LatestWins()
  /** Clones made per pool that the view may not show yet. */
  const made = new Map<string, Map<string, Replica>>()

  /** The pool's replicas as Docker has them now. */
  const current = async (pool: string): Promise<Replica[]> => {
    const seen = view()[pool] ?? []
    const mine = made.get(pool) ?? new Map<string, Replica>()
    for (const r of seen) mine.delete(r.id)
    const list = await Promise.all(
      [...seen, ...mine.values()].map(async (r) => {
        const f = await api.inspect(r.id)
        if (!f) return mine.delete(r.id), undefined
        const state = stateOf(f)
        return { ...r, state, startedAt: f.startedAt, stopping: r.stopping && state === 'running' && f.startedAt === r.startedAt }
      }),
    )
    return list.filter((r) => r !== undefined)
  }

  const pass = async (pool: string, n: number, action: ScaleAction, overtaken: () => boolean) => {
    if (signal.aborted) throw new Error(`docker: cannot scale pool ${pool}: the source has stopped`)
    const list = await current(pool)
    const template = newest(list)
    if (!template) throw new Error(`docker: cannot scale pool ${pool}: it has no containers`)
    const todo = plan(list, n, action)
    if (idle(todo) && !todo.short) return
    const problems: string[] = []
    const what = `pool ${pool} (${action.reason})`
    const step = async (verb: string, r: { id: string; name: string }, call: () => Promise<unknown>) => {
      try {
        await call()
        log.info(`docker: ${verb} ${r.name} (${r.id.slice(0, 12)}) of ${what}`)
        return true
      } catch (err) {
        problems.push(`${verb} ${r.name} (${r.id.slice(0, 12)}): ${message(err)}`)
        return false
      }
    }

    const fromZero = !list.some(isRunning) && n > 0
    const group = template.group
    const phases: Array<() => Promise<unknown>> = [
      async () => {
        if (!fromZero || group === undefined) return
        const wake = { group, prefix: s.prefix, exclude: new Set(list.map((r) => r.id)), deadline: Date.now() + s.groupTimeoutMs, what }
        problems.push(...(await wakeGroup(api, wake, ctx)))
      },
      () => Promise.all(todo.unpause.map((r) => step('unpaused', r, () => api.unpause(r.id)))),
      () => Promise.all(todo.start.map((r) => step('started', r, () => api.start(r.id)))),
      () => clone(pool, what, template, list, todo.clones, step, problems),
      () => Promise.all(todo.pause.map((r) => step('paused', r, () => api.pause(r.id)))),
      // Docker stops a paused replica as it is: frozen, it cannot act on the stop signal and is killed after the grace.
      () => Promise.all(todo.stop.map((r) => step('stopped', r, () => api.stop(r.id, s.stopGraceS)))),
      () => Promise.all(todo.remove.map(async (r) => (await step('removed', r, () => api.remove(r.id))) && made.get(pool)?.delete(r.id))),
    ]
    for (const phase of phases) {
      if (overtaken() || signal.aborted) return // the next pass starts from what is done
      await phase()
    }
    if (todo.short) log.info(`docker: ${what}: ${todo.short} replica(s) short of ${n}: no stopped container left${action.clone ? '' : ' and cloning is off (scale.clone)'}`)
    if (problems.length) throw new Error(`docker: scaling pool ${pool} to ${n} (${action.reason}): ${problems.join('; ')}`)
  }

  /** Creates and starts `count` clones of the template (the pool's newest original). */
  const clone = async (pool: string, what: string, template: Replica, list: readonly Replica[], count: number, step: Step, problems: string[]) => {
    if (!count) return
    let info: Awaited<ReturnType<DockerApi['inspectInfo']>>
    try {
      info = await api.inspectInfo(template.id)
    } catch (err) {
      return void problems.push(`inspect ${template.name} to clone it: ${message(err)}`)
    }
    if (!info) return void problems.push(`${template.name}, to clone, is gone`)
    const used = new Set(list.map((r) => r.port))
    await Promise.all(
      Array.from({ length: count }, async () => {
        const port = template.hostNetwork ? freePortAbove(template.port, used) : undefined
        if (template.hostNetwork && port === undefined) return void problems.push(`no port left above ${template.port} for a clone of ${template.name}`)
        if (port !== undefined) used.add(port)
        const name = cloneName(template.name)
        const spec = cloneSpec(info, { prefix: s.prefix, ...(s.topLevel ? { pool } : {}), ...(port !== undefined ? { port } : {}) })
        let id: string
        try {
          id = await api.create(name, spec)
        } catch (err) {
          return void problems.push(`create ${name} from ${template.name}: ${message(err)}`)
        }
        log.info(`docker: created ${name} (${id.slice(0, 12)}) from ${template.name}${port !== undefined ? ` with PORT=${port}` : ''} for ${what}`)
        const replica: Replica = { ...template, id, name, state: 'stopped', stopping: false, clone: true, createdAt: Date.now(), port: port ?? template.port }
        const mine = made.get(pool) ?? new Map<string, Replica>()
        made.set(pool, mine.set(id, replica))
        // A clone that cannot start would only be woken again and again: it goes.
        if (!(await step('started clone', replica, () => api.start(id)))) await api.remove(id).then(() => mine.delete(id)).catch(() => {})
      }),
    )
  }

  const pool = (name: string) => view()[name] ?? []
  return {
    asleep: (name) => counts(pool(name)).asleep,
    running: (name) => counts(pool(name)).running,
    settings(name) {
      const scale = newest(pool(name))?.scale
      return scale && Object.keys(scale).length ? scale : undefined
    },
    scale(name, replicas, action) {
      if (!Number.isInteger(replicas) || replicas < 0) return Promise.reject(new Error(`docker: cannot scale pool ${name} to ${replicas}: expected a whole number from 0`))
      return lanes.run(name, (overtaken) => pass(name, replicas, action, overtaken))
    },
  }
}

type Step = (verb: string, r: { id: string; name: string }, call: () => Promise<unknown>) => Promise<boolean>

const message = (err: unknown) => (err as Error)?.message ?? String(err)
