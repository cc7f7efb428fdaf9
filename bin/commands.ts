/**
 * The `gatehouse` commands that come from plugins, composed here so core/cli imports no plugin:
 * `register` (etcd) and `registrator` (Docker to etcd). Each is loaded only when it runs.
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
}
