/**
 * The `gatehouse` commands that come from plugins, composed here so core/cli imports no plugin:
 * `register` (etcd), `registrator` (Docker to etcd), and `hash-password` / `hash-key` (the hashes
 * basic-auth and api-key check; the CLI part is core/cli/hash.ts). Each is loaded only when it runs.
 */
import type { CliCommand } from '../core/cli/args.ts'

export const pluginCommands: Record<string, CliCommand> = {
  register: {
    summary: 'keep one instance in etcd while it runs (gatehouse register --help)',
    load: async () => (await import('../plugins/etcd/register-command.ts')).register,
  },
  registrator: {
    summary: "keep this Docker host's labelled containers in etcd (gatehouse registrator --help)",
    load: async () => (await import('../plugins/docker/registrator-command.ts')).registrator,
  },
  'hash-password': {
    summary: 'print the hash of a password (stdin) for basicAuth({ users })',
    load: async () => {
      const [{ hashSecret }, { hashPassword }] = await Promise.all([import('../core/cli/hash.ts'), import('../plugins/basic-auth/password.ts')])
      return (runtime, args) => hashSecret(runtime, 'hash-password', { what: 'password', confirm: true, iterations: true, hash: hashPassword }, args)
    },
  },
  'hash-key': {
    summary: 'print the hash of an API key (stdin) for apiKey({ keys })',
    load: async () => {
      const [{ hashSecret }, { hashApiKey }] = await Promise.all([import('../core/cli/hash.ts'), import('../plugins/api-key/digest.ts')])
      return (runtime, args) => hashSecret(runtime, 'hash-key', { what: 'API key', confirm: false, iterations: false, hash: (key) => hashApiKey(key) }, args)
    },
  },
}
