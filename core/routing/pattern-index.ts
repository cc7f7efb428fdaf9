/**
 * Path patterns indexed by their literal leading segments: `/api/v1/:id` sits under api → v1,
 * `/*` and `/:tenant/x` at the root. A pattern can only match a path that starts with its literal
 * segments, so a lookup walks the path's segments and tests just the patterns on that walk —
 * a handful, however many routes there are — instead of every pattern in the table.
 *
 * Each pattern carries its rank in the table's precedence order (route-table.ts); the lookup
 * returns the best-ranked hit, so the result is exactly what a scan in that order would find.
 */
export interface Ranked {
  readonly rank: number
}

interface Node<E> {
  /** Patterns whose literal prefix ends here, best rank first. */
  readonly entries: E[]
  children?: Map<string, Node<E>>
}

export class PatternIndex<E extends Ranked> {
  readonly #root: Node<E> = { entries: [] }

  /** `prefix`: the pattern's literal segments before its first param or `*`. Add in rank order. */
  add(prefix: readonly string[], entry: E): void {
    let node = this.#root
    for (const seg of prefix) {
      node.children ??= new Map()
      let next = node.children.get(seg)
      if (!next) node.children.set(seg, (next = { entries: [] }))
      node = next
    }
    node.entries.push(entry)
  }

  /** The best-ranked entry for which `test` gives a result, and that result. `path` starts with `/`. */
  find<R>(path: string, test: (entry: E) => R | undefined): R | undefined {
    let best: R | undefined
    let bestRank = Infinity
    let node: Node<E> | undefined = this.#root
    let at = 1 // past the leading '/'
    while (node) {
      for (const e of node.entries) {
        if (e.rank >= bestRank) break // the rest of this node ranks lower still
        const hit = test(e)
        if (hit !== undefined) {
          best = hit
          bestRank = e.rank
          break
        }
      }
      if (!node.children || at > path.length) break
      const end = path.indexOf('/', at)
      node = node.children.get(end === -1 ? path.slice(at) : path.slice(at, end))
      at = end === -1 ? path.length + 1 : end + 1
    }
    return best
  }
}
