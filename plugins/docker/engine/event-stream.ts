/**
 * Docker's event stream (newline-separated JSON over a long-lived response) → one callback per
 * event, and exactly one `onClose` whichever way it ends: error, end, close, or ours.
 */

export interface EventStream {
  close(): void
}

export function readEvents(stream: NodeJS.ReadableStream & { destroy(): void }, onEvent: (raw: unknown) => void, onClose: (err?: Error) => void): EventStream {
  let buffered = ''
  let closed = false
  const end = (err?: Error) => {
    if (closed) return
    closed = true
    stream.destroy()
    onClose(err)
  }
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim()
      buffered = buffered.slice(nl + 1)
      if (!line) continue
      let event: unknown
      try {
        event = JSON.parse(line)
      } catch {
        continue // not an event; the periodic re-list covers anything lost
      }
      onEvent(event)
    }
  })
  stream.once('error', (err: Error) => end(err))
  stream.once('end', () => end())
  stream.once('close', () => end())
  return { close: () => end() }
}
