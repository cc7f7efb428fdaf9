/**
 * Path patterns indexed by their segments: `/api/v1/:id` sits under api → v1 → (param), `/*` and
 * `/:tenant/x` start at the root. A lookup walks the path's segments down the literal branch and
 * the param branch, and tests only the patterns on nodes it reaches — a handful, however many
 * routes there are — instead of every pattern in the table. The index only narrows the
 * candidates: each one is still matched by its own RegExp.
 *
 * Each pattern carries its rank in the table's precedence order (route-table.ts); the lookup
 * returns the best-ranked hit, so the result is exactly what a scan in that order would find.
 */
export interface Ranked {
  readonly rank: number
}

/** The key of a param segment; a literal segment never contains ':' (path-pattern.ts). */
export const PARAM_KEY = ':'

interface Node<E> {
  /** Patterns whose segments end here, best rank first. */
  readonly entries: E[]
  children?: Map<string, Node<E>>
}

export class PatternIndex<E extends Ranked> {
  readonly #root: Node<E> = { entries: [] }

  /** `keys`: the pattern's segments before a trailing `*`, params as PARAM_KEY. Add in rank order. */
  add(keys: readonly string[], entry: E): void {
    let node = this.#root
    for (const key of keys) {
      node.children ??= new Map()
      let next = node.children.get(key)
      if (!next) node.children.set(key, (next = { entries: [] }))
      node = next
    }
    node.entries.push(entry)
  }

  /** The best-ranked entry for which `test` gives a result, and that result. `path` starts with `/`. */
  find<R>(path: string, test: (entry: E) => R | undefined): R | undefined {
    let best: R | undefined
    let bestRank = Infinity
    const visit = (node: Node<E>, at: number): void => {
      for (const e of node.entries) {
        if (e.rank >= bestRank) break // the rest of this node ranks lower still
        const hit = test(e)
        if (hit !== undefined) {
          best = hit
          bestRank = e.rank
          break
        }
      }
      if (!node.children || at > path.length) return
      const end = path.indexOf('/', at)
      const next = end === -1 ? path.length + 1 : end + 1
      const literal = node.children.get(end === -1 ? path.slice(at) : path.slice(at, end))
      if (literal) visit(literal, next)
      const param = node.children.get(PARAM_KEY)
      if (param && param !== literal) visit(param, next)
    }
    visit(this.#root, 1) // past the leading '/'
    return best
  }
}
