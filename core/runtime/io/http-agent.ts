/**
 * Node-compatible I/O shared by every runtime (Bun and Deno implement these `node:` modules):
 * kept here so plugins stay free of runtime APIs. A keep-alive HTTP agent for libraries that take
 * one (dockerode talking to the Docker socket).
 */
import { Agent } from 'node:http'

export function keepAliveAgent(maxFreeSockets = 4): Agent {
  return new Agent({ keepAlive: true, maxFreeSockets })
}
