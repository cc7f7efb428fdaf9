// What an editor shows on hover: TypeScript's language service over a project's tsconfig.json.
import ts from 'typescript'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The hover text (signature and doc comment) at the first occurrence of `needle` in `file` of the project in `dir`. */
export function quickInfo(dir: string, file: string, needle: string): { signature: string; doc: string } {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)) } })!
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => parsed.fileNames,
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => (ts.sys.fileExists(f) ? ts.ScriptSnapshot.fromString(ts.sys.readFile(f)!) : undefined),
    getCurrentDirectory: () => dir,
    getCompilationSettings: () => parsed.options,
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  }
  const path = join(dir, file)
  const at = readFileSync(path, 'utf8').indexOf(needle)
  if (at < 0) throw new Error(`${needle} not in ${file}`)
  const info = ts.createLanguageService(host).getQuickInfoAtPosition(path, at + 1)
  return { signature: ts.displayPartsToString(info?.displayParts), doc: ts.displayPartsToString(info?.documentation) }
}
