/**
 * `gatehouse hash-password` and `gatehouse hash-key`: the secret on stdin (typed without echo on a
 * terminal, or piped), its hash on stdout, in the form the config takes:
 *
 *     gatehouse hash-password                → $pbkdf2-sha256$i=600000$…  for basicAuth({ users: { alice: '…' } })
 *     printf %s "$KEY" | gatehouse hash-key  → 64 hex digits (SHA-256)     for apiKey({ keys: { '…': 'billing' } })
 *
 * The reading, prompting and flags live here; the hash itself is the plugin's that checks it
 * (basic-auth, api-key), handed in by bin/commands.ts, since core imports no plugin.
 */
import type { Runtime } from '../runtime/types.ts'
import { parseArgs } from './args.ts'

export const HASH_USAGE = `usage: gatehouse hash-password [--iterations N]   the password on stdin (prompted without echo on a terminal)
       gatehouse hash-key                        the API key on stdin`

/** How one command hashes its secret. */
export interface SecretHasher {
  /** What the secret is called in prompts and errors: 'password', 'API key'. */
  what: string
  /** Asked twice when typed blind (passwords), as passwd does. */
  confirm: boolean
  /** Takes `--iterations N` (PBKDF2 rounds). */
  iterations: boolean
  hash(secret: string, opts: { iterations?: number }): Promise<string>
}

export async function hashSecret(runtime: Runtime, command: string, hasher: SecretHasher, args: readonly string[]): Promise<void> {
  const parsed = parseArgs(args, hasher.iterations ? ['iterations'] : [])
  const iterations = typeof parsed === 'string' ? parsed : iterationsOf(parsed.flags.iterations)
  if (typeof iterations === 'string') {
    console.error(`gatehouse ${command}: ${iterations}\n${HASH_USAGE}`)
    return runtime.exit(2)
  }
  const { what } = hasher
  const secret = await runtime.readSecret(`${what}: `)
  if (secret === undefined) return runtime.exit(130) // Ctrl-C at the prompt
  if (secret.value === '') {
    console.error(`gatehouse ${command}: no ${what} on stdin`)
    return runtime.exit(1)
  }
  // A secret typed blind is asked twice; a piped one is taken as it is.
  if (hasher.confirm && secret.fromTerminal && (await runtime.readSecret(`${what} again: `))?.value !== secret.value) {
    console.error(`gatehouse ${command}: the two entries differ`)
    return runtime.exit(1)
  }
  console.log(await hasher.hash(secret.value, { iterations }))
}

/** PBKDF2 rounds: 1000 to 10,000,000 (basic-auth's own bounds); default 600,000. */
function iterationsOf(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  return Number.isInteger(n) && n >= 1000 && n <= 10_000_000 ? n : `--iterations: expected a whole number from 1000 to 10000000, got "${text}"`
}
