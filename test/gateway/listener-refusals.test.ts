// Listener refusals: counted by reason, logged at most 10 lines a minute; the first line of the
// next minute says how many went unlogged (an injected clock, no waiting).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ListenerRefusals } from '../../core/gateway/listener-refusals.ts'
import { recordingLogger } from '../support/gateway.ts'

test('a flood is counted in full and logged 10 lines a minute, then the unlogged count', () => {
  let now = 1_000_000
  const log = recordingLogger()
  const refusals = new ListenerRefusals(log, () => now)
  for (let i = 0; i < 25; i++) refusals.refused('malformed', 'HPE_INVALID_METHOD')
  refusals.refused('header-timeout', 'ERR_HTTP_REQUEST_TIMEOUT')
  assert.equal(refusals.counts.get('malformed'), 25)
  assert.equal(refusals.counts.get('header-timeout'), 1)
  assert.equal(log.lines.length, 10)
  assert.equal(log.lines[0], 'warn: refused a request before routing: malformed (HPE_INVALID_METHOD) {"reason":"malformed","code":"HPE_INVALID_METHOD"}')
  now += 60_000
  refusals.refused('too-many-headers')
  assert.equal(log.lines.length, 11)
  assert.equal(log.lines[10], 'warn: refused a request before routing: too-many-headers {"reason":"too-many-headers","unlogged":16}')
})
