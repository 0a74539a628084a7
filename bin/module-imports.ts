import ts from 'typescript'

// Every module a TypeScript, JavaScript or declaration file imports, as written: static and
// dynamic imports, re-exports and `import('...')` types, read by TypeScript's own scanner, so
// that text inside comments and strings is not taken for an import.
export function importedModules (text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName)
}
