/** The pure half of the Docker scaler, without Docker: plans, group order, the per-pool lane, labels, replicas, clone specs. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ContainerInspectInfo } from 'dockerode'
import { cloneName, cloneSpec, freePortAbove } from '../../plugins/docker/clone.ts'
import type { TrackedContainer } from '../../plugins/docker/facts.ts'
import { startLevels } from '../../plugins/docker/groups.ts'
import { readLabels } from '../../plugins/docker/labels.ts'
import { LatestWins } from '../../plugins/docker/latest-wins.ts'
import { plan } from '../../plugins/docker/plan.ts'
import { counts, newest, type Replica } from '../../plugins/docker/replicas.ts'
import { selection, selects } from '../../plugins/docker/select.ts'
import { translate } from '../../plugins/docker/translate.ts'

const r = (name: string, over: Partial<Replica> = {}): Replica => ({
  id: name, name, state: 'running', stopping: false, startedAt: 0, createdAt: 0, port: 8000, hostNetwork: true, clone: false, scale: {}, ...over,
})
const names = (list: readonly Replica[]) => list.map((x) => x.name)

describe('docker scaler: plans', () => {
  const pool = [
    r('run-old', { startedAt: 1 }),
    r('run-new', { startedAt: 3 }),
    r('clone', { startedAt: 2, clone: true }),
    r('paused-old', { state: 'paused', startedAt: 1 }),
    r('paused-new', { state: 'paused', startedAt: 2 }),
    r('stopped-clone', { state: 'stopped', clone: true, createdAt: 9 }),
    r('stopped-old', { state: 'stopped', createdAt: 1 }),
    r('stopped-new', { state: 'stopped', createdAt: 2 }),
  ]

  it('up: paused first (newest first), then stopped originals (newest first), then clones only when allowed', () => {
    const up = plan(pool, 9, { how: 'stop', clone: false })
    assert.deepEqual([names(up.unpause), names(up.start), up.clones, up.short], [['paused-new', 'paused-old'], ['stopped-new', 'stopped-old', 'stopped-clone'], 0, 1])
    const withClones = plan(pool, 10, { how: 'stop', clone: true })
    assert.deepEqual([withClones.clones, withClones.short], [2, 0])
    assert.deepEqual(names(plan(pool, 4, { how: 'stop', clone: true }).unpause), ['paused-new'], 'only as many as needed')
    assert.deepEqual(names(plan(pool, 6, { how: 'stop', clone: true }).start), ['stopped-new'])
  })

  it('down: clones first, then the most recently started; pause pauses them, stop also stops paused ones and removes stopped clones', () => {
    const paused = plan(pool, 1, { how: 'pause', clone: false })
    assert.deepEqual([names(paused.pause), names(paused.stop), names(paused.remove)], [['clone', 'run-new'], [], []])
    const stopped = plan(pool, 1, { how: 'stop', clone: false })
    assert.deepEqual(names(stopped.stop), ['clone', 'run-new', 'paused-old', 'paused-new'])
    assert.deepEqual(names(stopped.remove), ['clone', 'stopped-clone'])
    assert.deepEqual(names(plan(pool, 3, { how: 'stop', clone: false }).stop), ['paused-old', 'paused-new'], 'at the target, stop still frees paused memory')
    assert.deepEqual(plan(pool, 3, { how: 'pause', clone: false }).pause, [], 'at the target, pause has nothing to do')
  })

  it('a replica being stopped is not running; restarting counts as running', () => {
    const list = [r('a', { stopping: true }), r('b', { state: 'restarting' }), r('c', { state: 'stopped' }), r('d', { state: 'paused' })]
    assert.deepEqual(counts(list), { running: 1, asleep: 2 })
    assert.deepEqual(names(plan(list, 1, { how: 'stop', clone: false }).start), [], 'b already counts')
  })

  it('the template is the newest original, else the newest clone', () => {
    assert.equal(newest([r('a', { createdAt: 1 }), r('b', { createdAt: 2 }), r('c', { createdAt: 3, clone: true })])?.name, 'b')
    assert.equal(newest([r('c', { createdAt: 3, clone: true })])?.name, 'c')
    assert.equal(newest([]), undefined)
  })
})

describe('docker scaler: group start order', () => {
  const m = (name: string, service?: string, dependsOn?: string, project = 'shop') => ({
    id: name, name,
    labels: service ? { 'com.docker.compose.project': project, 'com.docker.compose.service': service, ...(dependsOn ? { 'com.docker.compose.depends_on': dependsOn } : {}) } : {},
  })
  const order = (list: ReturnType<typeof m>[]) => startLevels(list).map((level) => level.map((x) => x.name))

  it('levels follow depends_on; services without dependencies (or compose labels) start first, together', () => {
    assert.deepEqual(order([m('web', 'web', 'db:service_healthy:false'), m('db', 'db', 'cache:service_started:false,queue:service_started:true'), m('cache', 'cache'), m('queue-1', 'queue'), m('queue-2', 'queue'), m('plain')]),
      [['cache', 'plain', 'queue-1', 'queue-2'], ['db'], ['web']])
  })

  it('ignores dependencies outside the group or another project; a cycle ends in one last level', () => {
    assert.deepEqual(order([m('api', 'api', 'missing:service_started:false'), m('db', 'db', 'api', 'other')]), [['api', 'db']])
    assert.deepEqual(order([m('a', 'a', 'b'), m('b', 'b', 'a'), m('c', 'c')]), [['c'], ['a', 'b']])
  })
})

describe('docker scaler: one lane per pool, the last target wins', () => {
  it('runs one job per key at a time; a waiting job is replaced and its caller settles with the replacement', async () => {
    const lanes = new LatestWins()
    const log: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let overtaken: (() => boolean) | undefined
    const first = lanes.run('web', async (o) => {
      overtaken = o
      log.push('1 begins')
      await gate
      log.push('1 ends')
    })
    const second = lanes.run('web', async () => void log.push('2 runs'))
    const third = lanes.run('web', async () => void log.push('3 runs'))
    const other = lanes.run('api', async () => void log.push('api runs'))
    assert.equal(overtaken!(), true, 'the running job sees it is overtaken')
    await other
    release()
    await Promise.all([first, second, third])
    assert.deepEqual(log, ['1 begins', 'api runs', '1 ends', '3 runs'])
    await assert.rejects(lanes.run('web', async () => Promise.reject(new Error('boom'))), /boom/)
    await lanes.run('web', async () => void log.push('after an error'))
    assert.equal(log.at(-1), 'after an error', 'a failed job does not block the lane')
  })
})

describe('docker scaler: labels, selection, replicas', () => {
  it('scale.*, group and clone are known; scale values are raw, never a reason to skip; typos still are', () => {
    const read = readLabels({ 'gatehouse.pool': 'web', 'gatehouse.scale.min': '0', 'gatehouse.scale.idle.stop': ' 10m ', 'gatehouse.scale.target': 'lots', 'gatehouse.group': 'shop', 'gatehouse.clone': 'true' }, 'gatehouse')
    assert.ok(read.ok)
    assert.deepEqual([read.value.scale, read.value.group, read.value.clone], [{ min: '0', 'idle.stop': '10m', target: 'lots' }, 'shop', true])
    const typo = readLabels({ 'gatehouse.scal.min': '0' }, 'gatehouse')
    assert.deepEqual(typo.ok ? [] : typo.problems, ['gatehouse.scal.min: unknown label (did you mean gatehouse.scale.min?)'])
    const empty = readLabels({ 'gatehouse.group': '' }, 'gatehouse')
    assert.deepEqual(empty.ok ? [] : empty.problems, ['gatehouse.group: empty'])
  })

  it('at the top level, a container labelled only with its group is not selected', () => {
    const top = selection({ prefix: 'gatehouse' }, undefined)
    assert.equal(selects(top, { labels: { 'gatehouse.group': 'shop' }, image: 'db' }), false)
    assert.equal(selects(top, { labels: { 'gatehouse.group': 'shop', 'gatehouse.port': '80' }, image: 'app' }), true)
  })

  const box = (name: string, over: Partial<TrackedContainer>): TrackedContainer => ({
    id: name, name, image: 'app', labels: { 'gatehouse.pool': 'app', 'gatehouse.host': 'app.test' }, running: true, paused: false, restarting: false,
    startedAt: 1, createdAt: 1, stopSignal: 'SIGTERM', networkMode: 'bridge', networks: {}, exposed: [8000], published: {}, ...over,
  })
  const settings = (keepStopped: boolean) => ({ prefix: 'gatehouse', hostIp: '127.0.0.1', selection: selection({ prefix: 'gatehouse' }, undefined), keepStopped })

  it('a stopped container keeps its pool and route with keepStopped (no address needed); every state is a replica', () => {
    const list = [box('up', { networks: { bridge: '10.0.0.2' } }), box('asleep', { running: false }), box('paused', { paused: true, networks: { bridge: '10.0.0.3' } }), box('back', { running: false, restarting: true })]
    const kept = translate(list, settings(true))
    assert.deepEqual(kept.snapshot.pools.app?.map((u) => (u as { url: string }).url), ['http://10.0.0.2:8000'])
    assert.deepEqual(kept.replicas.app?.map((x) => `${x.name}:${x.state}`), ['asleep:stopped', 'back:restarting', 'paused:paused', 'up:running'])
    assert.deepEqual(kept.held.map((h) => `${h.name}: ${h.reason}`), ['back: restarting', 'paused: paused'])
    assert.deepEqual(kept.skipped, [])
    const onlyStopped = translate([box('asleep', { running: false })], settings(true))
    assert.deepEqual([onlyStopped.snapshot.pools, onlyStopped.snapshot.routes], [{ app: [] }, [{ host: 'app.test', path: '/*', pool: 'app' }]])
    const dropped = translate([box('asleep', { running: false })], settings(false))
    assert.deepEqual([dropped.snapshot.pools, dropped.snapshot.routes, dropped.replicas], [{}, [], {}], 'without a scaler, as before: a stopped container is ignored')
  })

  it('a stopped container with a bad label or no port is skipped with its reason, and is no replica', () => {
    const r1 = translate([box('nop', { running: false, exposed: [] }), box('bad', { running: false, labels: { 'gatehouse.pool': 'app', 'gatehouse.weight': '0' } })], settings(true))
    assert.deepEqual(r1.skipped.map((s) => s.name), ['bad', 'nop'])
    assert.match(r1.skipped[1]!.reason, /^no port: it exposes no port/)
    assert.deepEqual(r1.replicas, {})
  })
})

describe('docker scaler: clone specs', () => {
  const info = (over: { NetworkMode: string; bindings?: object; networks?: object }) =>
    ({
      Id: 'abcdef123456789', Name: '/web-1',
      Config: { Hostname: 'abcdef123456', Domainname: '', Image: 'myapp:1.2', Env: ['A=1', 'PORT=8000'], Cmd: ['serve'], Entrypoint: ['/init'], Labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '8000' } },
      HostConfig: { NetworkMode: over.NetworkMode, PortBindings: over.bindings ?? {}, RestartPolicy: { Name: 'no' } },
      NetworkSettings: { Networks: over.networks ?? {} },
    }) as unknown as ContainerInspectInfo

  it('host network: same image, command and labels; its own PORT, in the env and the port label; marked as a clone', () => {
    const spec = cloneSpec(info({ NetworkMode: 'host' }), { prefix: 'gatehouse', pool: 'web', port: 8001 })
    assert.deepEqual([spec.Image, spec.Cmd, spec.Entrypoint, spec.Env], ['myapp:1.2', ['serve'], ['/init'], ['A=1', 'PORT=8001']])
    assert.deepEqual(spec.Labels, { 'gatehouse.pool': 'web', 'gatehouse.port': '8001', 'gatehouse.clone': 'true' })
    assert.equal(spec.HostConfig?.NetworkMode, 'host')
    assert.equal((spec as { Hostname?: string }).Hostname, undefined, 'not the original\'s identity')
  })

  it('published ports move to ports Docker picks; a user network is joined with its aliases, not the original\'s name', () => {
    const spec = cloneSpec(info({ NetworkMode: 'shop_default', bindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, networks: { shop_default: { Aliases: ['web-1', 'web', 'abcdef123456'] } } }), { prefix: 'gatehouse' })
    assert.deepEqual(spec.HostConfig?.PortBindings, { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] })
    assert.deepEqual(spec.NetworkingConfig, { EndpointsConfig: { shop_default: { Aliases: ['web'] } } })
    assert.deepEqual(spec.Env, ['A=1', 'PORT=8000'], 'no port of its own needed off the host network')
  })

  it('names and ports', () => {
    assert.match(cloneName('web-1'), /^web-1-clone-[0-9a-f]{6}$/)
    assert.match(cloneName('web-1-clone-0a1b2c'), /^web-1-clone-[0-9a-f]{6}$/)
    assert.equal(freePortAbove(8000, new Set([8000, 8001, 8003])), 8002)
    assert.equal(freePortAbove(65535, new Set()), undefined)
  })
})
