// `gatehouse.version=v2` on a Docker container or a Swarm service becomes the upstream label
// `version` that a pool's release groups by; a conflicting meta.version or an empty value is named.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readLabels as dockerLabels } from '../../plugins/docker/labels.ts'
import { readLabels as swarmLabels } from '../../plugins/swarm/labels.ts'
import { translate } from '../../plugins/docker/translate.ts'
import { selection } from '../../plugins/docker/select.ts'
import type { TrackedContainer } from '../../plugins/docker/facts.ts'

for (const [source, read] of [['docker', dockerLabels], ['swarm', swarmLabels]] as const) {
  test(`${source}: gatehouse.version is the upstream label "version"`, () => {
    const r = read({ 'gatehouse.pool': 'app', 'gatehouse.version': ' v2 ', 'gatehouse.meta.zone': 'a' }, 'gatehouse')
    assert.ok(r.ok)
    assert.deepEqual(r.value.meta, { zone: 'a', version: 'v2' })
    const same = read({ 'gatehouse.version': 'v2', 'gatehouse.meta.version': 'v2' }, 'gatehouse')
    assert.ok(same.ok)
    assert.deepEqual(read({ 'gatehouse.version': 'v2', 'gatehouse.meta.version': 'v1' }, 'gatehouse'), {
      ok: false,
      problems: ['gatehouse.version: "v2" differs from gatehouse.meta.version "v1"'],
    })
    assert.deepEqual(read({ 'gatehouse.version': '' }, 'gatehouse'), { ok: false, problems: ['gatehouse.version: empty'] })
    const typo = read({ 'gatehouse.versoin': 'v2' }, 'gatehouse')
    assert.ok(!typo.ok && /did you mean gatehouse\.version\?/.test(typo.problems[0]!), JSON.stringify(typo))
  })
}

test('docker: a container labelled gatehouse.version=v2 is an upstream with labels.version "v2"', () => {
  const container: TrackedContainer = {
    id: 'c2', name: 'app-v2', image: 'app:2', labels: { 'gatehouse.pool': 'app', 'gatehouse.port': '8000', 'gatehouse.version': 'v2' },
    running: true, paused: false, restarting: false, startedAt: 1000, createdAt: 500, stopSignal: 'SIGTERM',
    networkMode: 'host', networks: { host: '' }, exposed: [], published: {},
  }
  const settings = { prefix: 'gatehouse', hostIp: '127.0.0.1', selection: selection({ prefix: 'gatehouse' }, 'app') }
  const up = translate([container], settings).snapshot.pools.app![0] as { labels: Record<string, string> }
  assert.equal(up.labels.version, 'v2')
})
