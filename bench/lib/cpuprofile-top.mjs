// node bench/lib/cpuprofile-top.mjs <label> <file.cpuprofile>... [TOP=15 in env]
// Prints the functions with the most self time in V8 CPU profiles (node --cpu-prof), as a share
// of the busy samples (all but "(idle)": the gateway idles between its runs; GC and "(program)"
// count as busy), grouped by function + file:line. The CLI runs a bundle
// (node_modules/.cache/gatehouse/cli-<pid>.mjs), so lines are the bundle's; names are the source's.
// Used by run.sh when CPU_PROF=1; works on any .cpuprofile.
import { readFileSync } from 'node:fs'

const [label, ...files] = process.argv.slice(2)
const top = Number(process.env.TOP ?? 15)
for (const file of files) {
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const self = new Map() // "fn file:line" -> sample count
  for (const id of prof.samples) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame
    const where = url ? ` ${url.replace(/^file:\/\/.*?\/(node_modules|core|plugins|bench)\//, '$1/').replace(/cli-\d+\.mjs/, 'cli.mjs')}:${lineNumber + 1}` : ''
    const key = `${functionName || '(anonymous)'}${where}`
    self.set(key, (self.get(key) ?? 0) + 1)
  }
  const idle = self.get('(idle)') ?? 0
  self.delete('(idle)')
  const total = prof.samples.length - idle
  const secs = (prof.endTime - prof.startTime) / 1e6
  console.log(`# cpu profile ${label}: ${total} busy of ${prof.samples.length} samples over ${secs.toFixed(1)} s (${file.replace(/^.*\//, '')})`)
  for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((n / total) * 100).toFixed(1).padStart(6)} %  ${key}`)
  }
}
