/** This machine's host name (Node-compatible; Bun and Deno provide `node:os`). */
import { hostname as osHostname } from 'node:os'

export const hostname = (): string => osHostname()
