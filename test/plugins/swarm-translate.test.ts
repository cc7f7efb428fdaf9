/** The pure half of Swarm discovery, without Docker: labels and port templates → pools and routes, addresses, task states, events, the tracker, and the scaler against a fake API. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { scaleFromLabels } from '../../core/config/scale-schema.ts'
import { silentLogger } from '../../core/log.ts'
import { swarm } from '../../plugins/swarm/index.ts'
import { VersionConflict, type ServiceSpec, type SwarmApi } from '../../plugins/swarm/client.ts'
import { isStopSignal, parseEvent } from '../../plugins/swarm/events.ts'
import { nodeFromApi, serviceFromApi, taskFromApi, type NodeFacts, type ServiceFacts, type SwarmView, type TrackedTask } from '../../plugins/swarm/facts.ts'
import { readLabels, scaleLabels } from '../../plugins/swarm/labels.ts'
import { portFor, portTemplateProblem } from '../../plugins/swarm/port-template.ts'
import { swarmScaler } from '../../plugins/swarm/scaler.ts'
import { selection, selects } from '../../plugins/swarm/select.ts'
import { converging, replicasRunning } from '../../plugins/swarm/task-state.ts'
import { SwarmTracker } from '../../plugins/swarm/tracker.ts'
import { translate, type TranslateSettings, type Translation } from '../../plugins/swarm/translate.ts'
import type { Watcher } from '../../plugins/swarm/watch.ts'

const LOCAL = 'node-local'

function svc(over: Partial<ServiceFacts> = {}): ServiceFacts {
  return {
    id: over.name ? `id-${over.name}` : 'id-app',
    name: 'app',
    labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '180{{.Task.Slot}}' },
    createdAt: 1000,
    image: 'myapp:1',
    replicas: 2,
    mode: 'replicated',
    updateState: '',
    stopSignal: 'SIGTERM',
    ...over,
  }
}

/** A running task of service `id-app` on the local node, host networking, unless overridden. */
function task(slot: number, over: Partial<TrackedTask> = {}): TrackedTask {
  return {
    id: `t${slot}${over.desired ?? ''}${over.state ?? ''}`,
    serviceId: 'id-app',
    slot,
    nodeId: LOCAL,
    desired: 'running',
    state: 'running',
    image: 'myapp:1',
    networks: { host: '' },
    published: {},
    ...over,
  }
}

const node = (id: string, addr: string, over: Partial<NodeFacts> = {}): NodeFacts => ({ id, hostname: id, addr, state: 'ready', ...over })

function view(services: ServiceFacts[], tasks: TrackedTask[], nodes: NodeFacts[] = [node(LOCAL, '10.1.1.1')]): SwarmView {
  return { services, tasks, nodes, localNodeId: LOCAL }
}

function settings(over: { pool?: string; label?: string[]; service?: string } & Partial<TranslateSettings> = {}): TranslateSettings {
  const { label, service, ...rest } = over
  return { prefix: 'gatehouse', hostIp: '127.0.0.1', selection: selection({ label, service, prefix: 'gatehouse' }, over.pool), ...rest }
}

/** pool → upstream URLs in order. */
function pools(t: Translation): Record<string, string[]> {
  return Object.fromEntries(Object.entries(t.snapshot.pools).map(([name, list]) => [name, list.map((u) => (typeof u === 'string' ? u : u.url))]))
}

describe('swarm translation: pools, ports and routes', () => {
  it('under a pool: the labelled service, a port per task from {{.Task.Slot}}, task ids as upstream ids', () => {
    const t = translate(view([svc(), svc({ name: 'other', labels: { 'gatehouse.pool': 'api', 'gatehouse.port': '80' } })], [task(1), task(2)]), settings({ pool: 'web' }))
    assert.deepEqual(pools(t), { web: ['http://127.0.0.1:1801', 'http://127.0.0.1:1802'] })
    const first = t.snapshot.pools.web![0] as { id: string; labels: Record<string, string> }
    assert.equal(first.id, 't1')
    assert.deepEqual(first.labels, { service: 'app', task: 'app.1', image: 'myapp:1' })
    assert.deepEqual(t.skipped, [])
  })

  it('under a pool with `service`: that service only, whatever its labels', () => {
    const s = svc({ labels: { 'gatehouse.port': '8080' } })
    assert.deepEqual(pools(translate(view([s], [task(1)]), settings({ pool: 'web', service: 'app' }))), { web: ['http://127.0.0.1:8080'] })
    assert.deepEqual(pools(translate(view([s], [task(1)]), settings({ pool: 'web', service: 'ap' }))), { web: [] }, 'the name must match exactly')
  })

  it('a service at 0 replicas keeps its pool and route (its host answers 503 and can be woken)', () => {
    const s = svc({ replicas: 0, labels: { 'gatehouse.port': '80', 'gatehouse.host': 'app.test' } })
    const t = translate(view([s], []), settings())
    assert.deepEqual(pools(t), { app: [] })
    assert.deepEqual(t.snapshot.routes, [{ host: 'app.test', path: '/*', pool: 'app' }])
    assert.equal(t.members.app?.[0]?.service, s)
  })

  it('top level: pool from gatehouse.pool, else the service name; routes with host, path and stripPrefix', () => {
    const a = svc({ name: 'a', labels: { 'gatehouse.port': '80', 'gatehouse.host': 'a.test,www.a.test' } })
    const b = svc({ name: 'b', labels: { 'gatehouse.pool': 'bee', 'gatehouse.port': '81', 'gatehouse.path': '/api/*', 'gatehouse.stripPrefix': '/api' } })
    const t = translate(view([a, b], [task(1, { serviceId: 'id-a' }), task(1, { id: 'b1', serviceId: 'id-b' })]), settings())
    assert.deepEqual(pools(t), { a: ['http://127.0.0.1:80'], bee: ['http://127.0.0.1:81'] })
    assert.deepEqual(t.snapshot.routes, [
      { host: ['a.test', 'www.a.test'], path: '/*', pool: 'a' },
      { path: '/api/*', pool: 'bee', stripPrefix: '/api' },
    ])
  })

  it('a bad label skips that service with a reason; scale labels are the core\'s and pass', () => {
    const bad = svc({ name: 'bad', labels: { 'gatehouse.port': '80', 'gatehouse.prot': '1' } })
    const good = svc({ name: 'good', labels: { 'gatehouse.port': '80', 'gatehouse.scale.min': '0', 'gatehouse.scale.idle': '5m' } })
    const t = translate(view([bad, good], [task(1, { serviceId: 'id-bad' }), task(1, { id: 'g1', serviceId: 'id-good' })]), settings())
    assert.deepEqual(pools(t), { good: ['http://127.0.0.1:80'] })
    assert.equal(t.skipped.length, 1)
    assert.match(t.skipped[0]!.reason, /gatehouse\.prot: unknown label \(did you mean gatehouse\.port\?\)/)
  })

  it('weight, scheme and meta labels', () => {
    const s = svc({ labels: { 'gatehouse.pool': 'web', 'gatehouse.port': '443', 'gatehouse.weight': '3', 'gatehouse.scheme': 'https', 'gatehouse.meta.zone': 'a' } })
    const u = translate(view([s], [task(1)]), settings({ pool: 'web' })).snapshot.pools.web![0] as { url: string; weight: number; labels: Record<string, string> }
    assert.deepEqual([u.url, u.weight, u.labels.zone], ['https://127.0.0.1:443', 3, 'a'])
  })
})

describe('swarm translation: task states', () => {
  it('serves only tasks wanted and reported running; a task whose desired state left running is out at once, logged as held', () => {
    const tasks = [
      task(1),
      task(2, { desired: 'shutdown' }), // rolling update / scale-in: container still running
      task(3, { state: 'starting' }),
      task(4, { desired: 'ready', state: 'ready' }), // a rolling update's next task
      task(5, { desired: 'remove' }), // scaled to fewer
      task(6, { stopping: true }), // its container got SIGTERM
      task(7, { desired: 'shutdown', state: 'failed' }),
    ]
    const t = translate(view([svc({ replicas: 6 })], tasks), settings({ pool: 'web' }))
    assert.deepEqual(pools(t), { web: ['http://127.0.0.1:1801'] })
    assert.deepEqual(t.held.map((n) => `${n.name}: ${n.reason}`), ['app.2: desired state shutdown', 'app.5: desired state remove', 'app.6: its container is stopping'])
  })

  it('replicas running count slots with a wanted, unended task (old and new task of an update count once)', () => {
    assert.equal(replicasRunning([task(1), task(1, { desired: 'ready', state: 'ready' }), task(2, { state: 'starting' }), task(3, { desired: 'shutdown' }), task(4, { state: 'failed' })]), 2)
    assert.equal(replicasRunning([task(0, { nodeId: 'a' }), task(0, { nodeId: 'b' })]), 2, 'global: one per node')
  })

  const table: Array<[string, Partial<ServiceFacts>, TrackedTask[], boolean]> = [
    ['settled', {}, [task(1), task(2), task(9, { desired: 'shutdown', state: 'shutdown' })], false],
    ['an update rolling', { updateState: 'updating' }, [task(1), task(2)], true],
    ['an update completed', { updateState: 'completed' }, [task(1), task(2)], false],
    ['a task starting', {}, [task(1), task(2, { state: 'starting' })], true],
    ['a task shutting down', {}, [task(1), task(2), task(3, { desired: 'shutdown' })], true],
    ['the orchestrator has not acted on a scale yet', { replicas: 3 }, [task(1), task(2)], true],
    ['a global service', { replicas: undefined, mode: 'global' }, [task(0, { nodeId: 'a' })], false],
  ]
  for (const [what, over, tasks, want] of table) it(`converging: ${what}`, () => assert.equal(converging(svc(over), tasks), want))
})

describe('swarm translation: addresses', () => {
  const one = (t: TrackedTask, s: Partial<TranslateSettings> = {}, labels: Record<string, string> = { 'gatehouse.pool': 'web', 'gatehouse.port': '8000' }, nodes?: NodeFacts[]) => {
    const r = translate(view([svc({ labels })], [t], nodes), settings({ pool: 'web', ...s }))
    return pools(r).web![0] ?? r.skipped.map((n) => n.reason).join('; ')
  }
  const nodes = [node(LOCAL, '10.1.1.1'), node('n2', '10.1.1.2'), node('n3', '0.0.0.0', { managerAddr: '10.1.1.3' }), node('n4', '10.1.1.4', { state: 'down' })]

  it('host networking: hostAddress on this node, the node address elsewhere (its manager address when 0.0.0.0)', () => {
    assert.equal(one(task(1), {}, undefined, nodes), 'http://127.0.0.1:8000')
    assert.equal(one(task(1, { nodeId: 'n2' }), {}, undefined, nodes), 'http://10.1.1.2:8000')
    assert.equal(one(task(1, { nodeId: 'n3' }), {}, undefined, nodes), 'http://10.1.1.3:8000')
    assert.equal(one(task(1, { nodeId: 'n2' }), { hostIp: '192.0.2.9' }, undefined, [node('n2', '10.1.1.2')]), 'http://192.0.2.9:8000', 'a one-node swarm: hostAddress')
    assert.equal(one(task(1, { nodeId: 'n4' }), {}, undefined, nodes), '', 'a task on a down node is held back')
  })

  it('a network by option or label; a host-mode published port; the only network; else a reason', () => {
    const overlay = { networks: { ingress: '10.0.0.5', backend: '10.0.1.5' } }
    assert.equal(one(task(1, overlay), { network: 'backend' }), 'http://10.0.1.5:8000')
    assert.equal(one(task(1, overlay), {}, { 'gatehouse.pool': 'web', 'gatehouse.port': '8000', 'gatehouse.network': 'backend' }), 'http://10.0.1.5:8000')
    assert.equal(one(task(1, overlay)), 'http://10.0.1.5:8000', 'ingress aside, its only network')
    assert.match(one(task(1, overlay), { network: 'front' }), /not on network "front" \(on: backend, ingress\)/)
    assert.equal(one(task(1, { networks: {}, published: { 8000: 30001 } }), {}, undefined, nodes), 'http://127.0.0.1:30001')
    assert.equal(one(task(1, { networks: {}, published: { 8000: 30001 } }), {}, { 'gatehouse.pool': 'web' }), 'http://127.0.0.1:30001', 'the one published port, without a port label')
    assert.equal(one(task(1, { networks: { a: '10.0.2.1', b: '10.0.3.1' } })).includes('several networks'), true)
    assert.match(one(task(1), {}, { 'gatehouse.pool': 'web' }), /no port: set the gatehouse\.port label/)
    assert.equal(one(task(1), { port: 9000 }, { 'gatehouse.pool': 'web' }), 'http://127.0.0.1:9000', 'the port option')
  })
})

describe('swarm labels and port templates', () => {
  const table: Array<[string, string | undefined]> = [
    ['8000', undefined],
    ['180{{.Task.Slot}}', undefined],
    ['{{ .Task.Slot }}000', undefined],
    ['eighty', '"eighty" is not a port (1-65535)'],
    ['70000', '"70000" is not a port (1-65535)'],
    ['{{.Task.Name}}', '"{{.Task.Name}}": only {{.Task.Slot}} can be used in a port'],
    ['7000{{.Task.Slot}}', '"7000{{.Task.Slot}}" is not a port for slot 1 (70001)'],
  ]
  for (const [text, problem] of table) it(`port "${text}"`, () => assert.equal(portTemplateProblem(text), problem))

  it('a template gives each task its port; past 65535, or a node id in global mode, is a reason', () => {
    assert.deepEqual(portFor('180{{.Task.Slot}}', '2'), { ok: true, port: 1802 })
    assert.deepEqual(portFor('6553{{.Task.Slot}}', '6').ok, false)
    assert.match((portFor('80{{.Task.Slot}}', 'x7kq') as { reason: string }).reason, /gives "80x7kq"/)
  })

  it('scale labels come raw without their prefix, and the core reads them', () => {
    const labels = { 'gatehouse.scale.min': '0', 'gatehouse.scale.idle': '30s', 'gatehouse.port': '80', 'other.scale.max': '9' }
    assert.deepEqual(scaleLabels(labels, 'gatehouse'), { min: '0', idle: '30s' })
    const read = scaleFromLabels(scaleLabels(labels, 'gatehouse'))
    assert.ok(read.ok && read.value.min === 0 && read.value.idle.stop === 30_000)
    assert.equal(readLabels(labels, 'gatehouse').ok, true)
  })

  it('selection: enable=false opts out; the default at the top level is any gatehouse.* label', () => {
    assert.equal(selects(selection({ prefix: 'gatehouse' }, undefined), { name: 'x', labels: { 'gatehouse.port': '1' } }), true)
    assert.equal(selects(selection({ prefix: 'gatehouse' }, undefined), { name: 'x', labels: { other: '1' } }), false)
    assert.equal(selects(selection({ prefix: 'gatehouse', service: 'x' }, 'web'), { name: 'x', labels: { 'gatehouse.enable': 'false' } }), false)
    assert.equal(selects(selection({ prefix: 'gatehouse', label: ['tier=a'] }, 'web'), { name: 'x', labels: { tier: 'a' } }), true)
  })
})

describe('swarm events and the tracker', () => {
  const container = (action: string, attrs: Record<string, string> = {}) => ({
    Type: 'container',
    Action: action,
    Actor: { ID: 'c1', Attributes: { 'com.docker.swarm.task.id': 't1', 'com.docker.swarm.service.id': 'id-app', ...attrs } },
  })

  it('parses service, node and task container events; ignores plain containers', () => {
    assert.deepEqual(parseEvent({ Type: 'service', Action: 'update', Actor: { ID: 's1', Attributes: { name: 'app', 'replicas.new': '3' } } }), { kind: 'service', id: 's1', name: 'app' })
    assert.deepEqual(parseEvent({ Type: 'node', Action: 'update', Actor: { ID: 'n1' } }), { kind: 'node', id: 'n1' })
    assert.deepEqual(parseEvent(container('kill', { signal: '15' })), { kind: 'task', taskId: 't1', serviceId: 'id-app', action: 'kill', signal: '15' })
    assert.deepEqual(parseEvent(container('die')), { kind: 'task', taskId: 't1', serviceId: 'id-app', action: 'gone' })
    assert.deepEqual(parseEvent(container('health_status: healthy')), { kind: 'task', taskId: 't1', serviceId: 'id-app', action: 'health' })
    assert.equal(parseEvent({ Type: 'container', Action: 'start', Actor: { ID: 'c2', Attributes: { name: 'plain' } } }), undefined)
    assert.equal(isStopSignal('15'), true)
    assert.equal(isStopSignal('1'), false, 'a reload')
    assert.equal(isStopSignal('10', 'SIGUSR1'), true, 'the service stop signal')
  })

  it('a stop signal takes a task out at once; a list that started before cannot bring it back; a later one that shows it ended drops the mark', () => {
    const tracker = new SwarmTracker()
    const listed = view([svc()], [task(1)])
    tracker.applyList(listed, tracker.beginRead())
    const slow = tracker.beginRead() // a list on its way
    assert.equal(tracker.onTaskEvent({ kind: 'task', taskId: 't1', serviceId: 'id-app', action: 'kill', signal: '1' }), false, 'HUP: no change')
    assert.equal(tracker.onTaskEvent({ kind: 'task', taskId: 't1', serviceId: 'id-app', action: 'kill', signal: '15' }), true)
    tracker.applyList(listed, slow)
    assert.equal(tracker.view()!.tasks[0]!.stopping, true, 'the slow list did not undo the event')
    tracker.applyList(listed, tracker.beginRead())
    assert.equal(tracker.view()!.tasks[0]!.stopping, true, 'still running through its grace period: still out')
    tracker.applyList(view([svc()], [task(1, { id: 't1', state: 'shutdown', desired: 'shutdown' })]), tracker.beginRead())
    assert.equal(tracker.view()!.tasks[0]!.stopping, undefined, 'the mark went once a list showed it ended')
  })
})

describe('swarm: facts from the Engine API', () => {
  it('reads a service, a task and a node as Docker 20.10 returns them', () => {
    const s = serviceFromApi({
      ID: 's1',
      CreatedAt: '2026-01-01T00:00:00Z',
      Spec: { Name: 'app', Labels: { a: 'b' }, Mode: { Replicated: { Replicas: 0 } }, TaskTemplate: { ContainerSpec: { Image: 'app:2@sha256:abc1' } } },
      UpdateStatus: { State: 'updating' },
    })
    assert.deepEqual(s, { id: 's1', name: 'app', labels: { a: 'b' }, createdAt: Date.parse('2026-01-01T00:00:00Z'), image: 'app:2', replicas: 0, mode: 'replicated', updateState: 'updating', stopSignal: 'SIGTERM' })
    const t = taskFromApi({
      ID: 't1',
      ServiceID: 's1',
      Slot: 2,
      NodeID: 'n1',
      DesiredState: 'shutdown',
      Status: { State: 'running', PortStatus: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30080, PublishMode: 'host' }, { TargetPort: 81, PublishedPort: 30081, PublishMode: 'ingress' }] } },
      NetworksAttachments: [{ Network: { Spec: { Name: 'host' } } }, { Network: { Spec: { Name: 'backend' } }, Addresses: ['10.0.1.5/24'] }],
    })
    assert.deepEqual([t.slot, t.desired, t.state, t.networks, t.published], [2, 'shutdown', 'running', { host: '', backend: '10.0.1.5' }, { 80: 30080 }])
    assert.deepEqual(nodeFromApi({ ID: 'n1', Description: { Hostname: 'vm' }, Status: { State: 'ready', Addr: '0.0.0.0' }, ManagerStatus: { Addr: '10.1.1.3:2377' } }), {
      id: 'n1',
      hostname: 'vm',
      addr: '0.0.0.0',
      managerAddr: '10.1.1.3',
      state: 'ready',
    })
  })
})

describe('swarm scaler (a fake API)', () => {
  /** A watcher whose view is fixed, and an API that records updates and can refuse the first as stale. */
  function setup(services: ServiceFacts[], opts: { conflicts?: number } = {}) {
    const t = translate(view(services, [task(1)]), settings())
    let conversions = 0
    const w: Watcher = { start: async () => {}, converge: () => void conversions++, current: () => t, ensureListed: async () => {} }
    const specs = new Map(services.map((s) => [s.id, { version: 10, spec: { Name: s.name, Mode: s.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: s.replicas } } } as ServiceSpec }]))
    const updates: Array<[string, number, number | undefined]> = []
    let conflicts = opts.conflicts ?? 0
    let inFlight = 0
    let maxInFlight = 0
    const api = {
      inspectService: async (id: string) => structuredClone(specs.get(id)),
      async updateService(id: string, version: number, spec: ServiceSpec) {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await new Promise((r) => setTimeout(r, 5))
        inFlight--
        const now = specs.get(id)!
        if (conflicts-- > 0) {
          now.version++ // someone else updated it
          throw new VersionConflict('update out of sequence')
        }
        assert.equal(version, now.version, 'writes with the version it read')
        specs.set(id, { version: version + 1, spec })
        updates.push([id, version, spec.Mode?.Replicated?.Replicas])
      },
    } as unknown as SwarmApi
    return { scaler: swarmScaler(api, w, silentLogger, 'gatehouse'), updates, conversions: () => conversions, maxInFlight: () => maxInFlight }
  }
  const action = { how: 'stop' as const, clone: false, reason: 'test' }

  it('sets the replicas with the spec version, once per change, one at a time per pool; then follows the convergence', async () => {
    const s = setup([svc({ labels: { 'gatehouse.port': '80', 'gatehouse.scale.min': '0' } })])
    await Promise.all([s.scaler.scale('app', 3, action), s.scaler.scale('app', 1, action), s.scaler.scale('app', 1, action)])
    assert.deepEqual(s.updates, [['id-app', 10, 3], ['id-app', 11, 1]], 'in order; the same count again is no update')
    assert.equal(s.maxInFlight(), 1)
    assert.equal(s.conversions(), 2)
    assert.deepEqual(s.scaler.settings?.('app'), { min: '0' })
    assert.equal(s.scaler.running('app'), 1)
    assert.equal(s.scaler.asleep('app'), 0)
  })

  it('retries once on a version conflict; a second conflict is the caller\'s', async () => {
    const once = setup([svc({ labels: { 'gatehouse.port': '80' } })], { conflicts: 1 })
    await once.scaler.scale('app', 0, action)
    assert.deepEqual(once.updates, [['id-app', 11, 0]])
    const twice = setup([svc({ labels: { 'gatehouse.port': '80' } })], { conflicts: 2 })
    await assert.rejects(twice.scaler.scale('app', 0, action), VersionConflict)
  })

  it('asleep at 0 replicas; refuses a pool with no service, several services, or a global one', async () => {
    assert.equal(setup([svc({ replicas: 0, labels: { 'gatehouse.port': '80' } })]).scaler.asleep('app'), 1)
    const two = setup([svc({ name: 'a', labels: { 'gatehouse.pool': 'p', 'gatehouse.port': '80' } }), svc({ name: 'b', labels: { 'gatehouse.pool': 'p', 'gatehouse.port': '80' } })])
    await assert.rejects(two.scaler.scale('p', 2, action), /pool "p" is served by 2 services \(a, b\); scaling needs exactly one/)
    await assert.rejects(two.scaler.scale('nope', 2, action), /no service serves pool "nope"/)
    const global = setup([svc({ mode: 'global', replicas: undefined, labels: { 'gatehouse.port': '80' } })])
    await assert.rejects(global.scaler.scale('app', 2, action), /not in replicated mode/)
  })

  it('bad options are problems, not a throw', () => {
    assert.ok(swarm({ convergeEvery: '1ms' }).problems?.length)
    assert.ok(swarm({ nonsense: true } as never).problems?.length)
    assert.equal(swarm({ service: 'app', resync: '10s' }).problems, undefined)
  })
})
