// A real upstream process for churn tests. Answers "ok from <name>"; SIGUSR1 toggles answering 500,
// SIGUSR2 toggles hanging (accepting requests but never answering); SIGTERM closes gracefully:
// stops accepting, finishes in-flight requests, then exits.
import { createServer } from 'node:http'

const [port, name] = [Number(process.argv[2]), process.argv[3]]
let mode = 'ok'
const server = createServer((req, res) => {
  if (mode === 'hang') return
  if (mode === '500') return void res.writeHead(500).end('failing\n')
  res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name })
  res.end(`ok from ${name}\n`)
})
server.keepAliveTimeout = 5000
process.on('SIGUSR1', () => (mode = mode === '500' ? 'ok' : '500'))
process.on('SIGUSR2', () => (mode = mode === 'hang' ? 'ok' : 'hang'))
process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeIdleConnections()
  setInterval(() => server.closeIdleConnections(), 50)
})
server.listen(port, '127.0.0.1', () => console.log('listening'))
