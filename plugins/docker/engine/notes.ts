/**
 * Logs why a container, service or task is skipped (warn) or held back (info) once per thing and
 * reason, not on every snapshot: a bad label is said when it appears and again only if it changes.
 */
export interface Note {
  id: string
  name: string
  reason: string
}

export function noteReporter(skip: (n: Note) => void, hold: (n: Note) => void): (skipped: readonly Note[], held: readonly Note[]) => void {
  let noted = new Map<string, string>()
  return (skipped, held) => {
    const now = new Map<string, string>()
    const fresh = (n: Note, kind: string) => {
      const key = `${kind}:${n.reason}`
      now.set(n.id, key)
      return noted.get(n.id) !== key
    }
    for (const n of skipped) if (fresh(n, 'skip')) skip(n)
    for (const n of held) if (fresh(n, 'hold')) hold(n)
    noted = now
  }
}
