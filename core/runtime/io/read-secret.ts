/**
 * Reads a secret (a password, an API key) from standard input, for `gatehouse hash-password` and
 * `hash-key`. From a terminal: a prompt on stderr and the typed characters never echoed (raw mode,
 * as `read -s` does); Enter ends it, Ctrl-C aborts. From a pipe or file: all of stdin, less one
 * trailing newline (`echo "$PW" | gatehouse hash-password`). Node's `process` API, which Bun and
 * Deno provide too.
 */
export async function readSecret(prompt: string): Promise<{ value: string; fromTerminal: boolean } | undefined> {
  const stdin = process.stdin
  if (!stdin.isTTY) {
    let text = ''
    stdin.setEncoding('utf8')
    for await (const chunk of stdin) text += chunk
    return { value: text.replace(/\r?\n$/, ''), fromTerminal: false }
  }
  stdin.setRawMode(true) // before the prompt: whatever is typed once it shows is never echoed
  stdin.setEncoding('utf8')
  process.stderr.write(prompt)
  // A 'data' listener, not `for await`: leaving an async iterator destroys stdin, and
  // hash-password reads a second time (the confirmation).
  return new Promise((resolve) => {
    let secret = ''
    const done = (value: string | undefined) => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
      resolve(value === undefined ? undefined : { value, fromTerminal: true })
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(secret)
        if (ch === '\u0003' || ch === '\u0004') return done(undefined) // Ctrl-C, Ctrl-D
        if (ch === '\u007f' || ch === '\b') secret = secret.slice(0, -1)
        else secret += ch
      }
    }
    stdin.on('data', onData)
    stdin.resume()
  })
}
