// tsc drops doc comments from inferred types, and a zod schema's shape is one: a user's editor
// would show `port?: number` without the `/** Default 8080 … */` written above the field in
// core/config/schema.ts. This puts each field's doc comment back into dist/**/*.d.ts.
//
// Source side: every top-level `const` in core/ and plugins/ is walked, and each property with a
// doc comment is indexed by its path of property names (`configSchema/listen/port`). A property
// whose value is built from another indexed const (`limits: limitsSchema`, `pools: z.record(…,
// poolSchema)`) is an alias, followed when a path runs through it. Declaration side: each property
// signature inside a `declare const`'s type gets the doc found at the same path.
import ts from 'typescript'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export function restoreDocComments(root, dist) {
  const docs = new Map() // 'core/config/schema.ts#configSchema/listen/port' → '/** … */'
  const aliases = new Map() // 'core/config/schema.ts#configSchema/limits' → 'limitsSchema'
  const owners = new Map() // const name → source files that declare it (for aliases across files)
  const sources = ['core', 'plugins'].flatMap((d) => walk(join(root, d))).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  const parsed = sources.map((f) => ts.createSourceFile(relative(root, f), readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true))
  for (const sf of parsed) for (const decl of topLevelConsts(sf)) owners.set(decl.name.text, [...(owners.get(decl.name.text) ?? []), sf.fileName])
  for (const sf of parsed) indexSource(sf)

  let added = 0
  for (const file of walk(dist).filter((f) => f.endsWith('.d.ts'))) {
    const source = relative(dist, file).replace(/\.d\.ts$/, '.ts')
    const text = readFileSync(file, 'utf8')
    const edits = declarationEdits(source, text)
    if (!edits.length) continue
    let out = text
    for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.at)
    writeFileSync(file, out)
    added += edits.length
  }
  return added

  function indexSource(sf) {
    const file = sf.fileName
    {
      for (const decl of topLevelConsts(sf)) {
        const name = decl.name.text
        const visit = (node, path) => {
          if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
            const here = [...path, node.name.text]
            const key = `${file}#${name}/${here.join('/')}`
            const jsdoc = ts.getJSDocCommentsAndTags(node).find(ts.isJSDoc)
            if (jsdoc) docs.set(key, jsdoc.getText(sf))
            const refs = identifiersIn(node.initializer)
            if (refs.length) aliases.set(key, refs)
            return ts.forEachChild(node.initializer, (c) => visit(c, here))
          }
          ts.forEachChild(node, (c) => visit(c, path))
        }
        visit(decl.initializer, [])
      }
    }
  }

  function declarationEdits(source, text) {
    const sf = ts.createSourceFile(source, text, ts.ScriptTarget.Latest, true)
    const edits = []
    for (const stmt of sf.statements) {
      if (!ts.isVariableStatement(stmt)) continue
      for (const decl of stmt.declarationList.declarations) {
        if (!ts.isIdentifier(decl.name) || !decl.type) continue
        const visit = (node, path) => {
          if (ts.isPropertySignature(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
            const here = [...path, node.name.text]
            const doc = lookup(source, decl.name.text, here, 0)
            if (doc && !ts.getJSDocCommentsAndTags(node).length) {
              const at = node.getStart(sf)
              const indent = text.slice(text.lastIndexOf('\n', at - 1) + 1, at)
              edits.push({ at, text: doc.split('\n').map((l, i) => (i ? indent + l.trimStart().replace(/^\*/, ' *') : l)).join('\n') + '\n' + indent })
            }
            if (node.type) ts.forEachChild(node.type, (c) => visit(c, here))
            return
          }
          ts.forEachChild(node, (c) => visit(c, path))
        }
        visit(decl.type, [])
      }
    }
    return edits
  }

  /** The doc at `path` below const `name` of `file`, following aliases into other consts. */
  function lookup(file, name, path, depth) {
    if (depth > 8) return undefined
    const exact = docs.get(`${file}#${name}/${path.join('/')}`)
    if (exact) return exact
    for (let k = path.length - 1; k >= 1; k--) {
      for (const target of aliases.get(`${file}#${name}/${path.slice(0, k).join('/')}`) ?? []) {
        for (const other of (owners.get(target) ?? []).sort((a) => (a === file ? -1 : 1))) {
          const found = lookup(other, target, path.slice(k), depth + 1)
          if (found) return found
        }
      }
    }
    return undefined
  }

  /** Identifiers in an expression that name an indexed top-level const (`limitsSchema`, `poolSchema`). */
  function identifiersIn(expr) {
    const out = []
    const visit = (n) => {
      if (ts.isIdentifier(n) && owners.has(n.text) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) out.push(n.text)
      ts.forEachChild(n, visit)
    }
    visit(expr)
    return out
  }
}

function topLevelConsts(sf) {
  return sf.statements.filter(ts.isVariableStatement).flatMap((s) => s.declarationList.declarations).filter((d) => ts.isIdentifier(d.name) && d.initializer)
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
}
