/**
 * Path patterns indexed by their segments: `/api/v1/:id` sits under api → v1 → (param), `/*` and
 * `/:tenant/x` start at the root. A lookup walks the path's segments down the literal branch and
 * the param branch, and tests only the patterns on nodes it reaches — a handful, however many
 * routes there are — instead of every pattern in the table. The index only narrows the
 * candidates: each one is still matched by its own RegExp.
 *
 * Patterns are added in the table's precedence order (route-table.ts), so the order of addition
 * is their rank; the lookup returns the best-ranked hit, exactly what a scan in that order finds.
 */

/** The key of a param segment; a literal segment never contains ':' (path-pattern.ts). */
export const PARAM_KEY = ':'

interface Node<E> {
  /** Patterns whose segments end here, and their ranks, best first. */
  readonly entries: E[]
  readonly ranks: number[]
  children?: Map<string, Node<E>>
}

interface Best<R> {
  rank: number
  hit: R | undefined
}

export class PatternIndex<E> {
  readonly #root: Node<E> = { entries: [], ranks: [] }
  #added = 0

  /** `keys`: the pattern's segments before a trailing `*`, params as PARAM_KEY. Add in precedence order. */
  add(keys: readonly string[], entry: E): void {
    let node = this.#root
    for (const key of keys) {
      node.children ??= new Map()
      let next = node.children.get(key)
      if (!next) node.children.set(key, (next = { entries: [], ranks: [] }))
      node = next
    }
    node.entries.push(entry)
    node.ranks.push(this.#added++)
  }

  /** What `test` gives for the best-ranked entry it accepts. `path` starts with `/`; `arg` is passed through. */
  find<A, R>(path: string, test: (entry: E, arg: A) => R | undefined, arg: A): R | undefined {
    const best: Best<R> = { rank: Infinity, hit: undefined }
    this.#visit(this.#root, 1, path, test, arg, best) // 1: past the leading '/'
    return best.hit
  }

  #visit<A, R>(node: Node<E>, at: number, path: string, test: (entry: E, arg: A) => R | undefined, arg: A, best: Best<R>): void {
    for (let i = 0; i < node.entries.length; i++) {
      if (node.ranks[i]! >= best.rank) break // the rest of this node ranks lower still
      const hit = test(node.entries[i]!, arg)
      if (hit !== undefined) {
        best.hit = hit
        best.rank = node.ranks[i]!
        break
      }
    }
    if (!node.children || at > path.length) return
    const end = path.indexOf('/', at)
    const next = end === -1 ? path.length + 1 : end + 1
    const literal = node.children.get(end === -1 ? path.slice(at) : path.slice(at, end))
    if (literal) this.#visit(literal, next, path, test, arg, best)
    const param = node.children.get(PARAM_KEY)
    if (param && param !== literal) this.#visit(param, next, path, test, arg, best)
  }
}
