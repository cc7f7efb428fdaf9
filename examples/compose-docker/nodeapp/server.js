// Seed 002's app, as it was: "Hello from <container id>" on port 8000.
const http = require('http')
const os = require('os')
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end(`Hello from ${os.hostname()}\n`)
}).listen(8000, () => console.log('Server running at http://0.0.0.0:8000/'))
