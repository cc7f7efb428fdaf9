// A TCP listener whose connections never complete: python's listen(0) without accept(), its tiny
// queue filled by two idle clients, so the kernel drops further SYNs (a real connect timeout on
// loopback). Node cannot do this itself: libuv always accepts.
import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'

export async function blackhole(): Promise<{ url: string; close(): void }> {
  const py = spawn('python3', ['-c', "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0); print(s.getsockname()[1], flush=True); time.sleep(120)"], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    py.once('error', reject)
    py.stdout.once('data', (d) => resolve(Number(String(d).trim())))
  })
  const fillers: Socket[] = []
  for (let i = 0; i < 2; i++) {
    fillers.push(connect(port, '127.0.0.1').on('error', () => {}))
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      fillers.forEach((s) => s.destroy())
      py.kill('SIGKILL')
    },
  }
}
