// The replayable request body of the fetch-style adapters (Bun, Deno): a retry after a refused
// connection must send the whole body, even when the failed attempt had already pulled some of it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RequestBody } from '../../core/runtime/web/request-body.ts'

const enc = (s: string) => new TextEncoder().encode(s)

/** A client body of `n` chunks "c0".."c{n-1}", each a few ms apart. */
function clientBody(n = 5): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        await new Promise((r) => setTimeout(r, 2))
        if (i < n) ctrl.enqueue(enc(`c${i++}`))
        else ctrl.close()
      },
    },
    { highWaterMark: 0 },
  )
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  let out = ''
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) out += new TextDecoder().decode(chunk)
  return out
}

test('a second attempt replays what the first one read, then continues; an abandoned read takes nothing', async () => {
  const body = new RequestBody(clientBody())
  const first = body.attempt()!.getReader()
  await first.read()
  await first.read()
  void first.read() // still waiting on the client when the attempt is abandoned
  await new Promise((r) => setTimeout(r, 1))
  const second = body.attempt()!
  body.commit()
  assert.equal(await text(second), 'c0c1c2c3c4')
  assert.equal(body.attempt(), undefined, 'no attempt after the body went upstream unkept')
})

test('past maxReplay nothing is kept, and a later attempt is refused rather than sent with a hole', async () => {
  const body = new RequestBody(clientBody(), 3)
  assert.equal(await text(body.attempt()!), 'c0c1c2c3c4')
  assert.equal(body.attempt(), undefined)
})

test('a client body that breaks off errors the attempt', async () => {
  const broken = new ReadableStream<Uint8Array>({
    start(ctrl) {
      ctrl.enqueue(enc('a'))
      ctrl.error(new Error('client went away'))
    },
  })
  await assert.rejects(text(new RequestBody(broken).attempt()!), /client went away/)
})
