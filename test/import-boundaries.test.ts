import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'
import { importedModules } from '../bin/module-imports.js'

// The layout docs/architecture.md draws, read from the sources: which folder may import which,
// and no import circle anywhere. Each file's imports are read from its text by TypeScript's scanner.

const PROJECT_ROOT = join(import.meta.dirname, '..', '..')
const SOURCE_FOLDERS = ['contract', 'src', 'session-check', 'plugins', 'routes', 'sdk/src', 'web/src', 'bin', 'bench']
const TOP_LEVEL_FILES = ['app.ts', 'server.ts']
const FASTIFY_PACKAGE = /^(?:fastify|fastify-plugin|@fastify\/.+)$/
// The one package of the Fastify organisation the core may use: the coded-error factory, which
// imports nothing of the framework (src/errors/api-errors.ts).
const STANDALONE_FASTIFY_PACKAGES = new Set(['@fastify/error'])

interface SourceFile {
  // Relative to the project root, with forward slashes: 'src/errors/api-errors.ts'.
  path: string
  // What it imports: project files (by path, as above) and packages (by name).
  files: string[]
  packages: string[]
}

async function typeScriptFiles (folder: string): Promise<string[]> {
  const entries = await readdir(join(PROJECT_ROOT, folder), { recursive: true })
  return entries.filter((entry) => entry.endsWith('.ts') && !entry.endsWith('.d.ts') && !entry.split('/').includes('dist'))
    .map((entry) => `${folder}/${entry}`)
}

async function readSource (path: string): Promise<SourceFile> {
  const text = await readFile(join(PROJECT_ROOT, path), 'utf8')
  const files: string[] = []
  const packages: string[] = []
  for (const specifier of importedModules(text)) {
    if (specifier.startsWith('.')) {
      files.push(relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(path), specifier.replace(/\.js$/, '.ts'))))
    } else if (!specifier.startsWith('node:')) {
      packages.push(specifier)
    }
  }
  return { path, files, packages }
}

const sources = await Promise.all([
  ...TOP_LEVEL_FILES,
  ...(await Promise.all(SOURCE_FOLDERS.map(typeScriptFiles))).flat()
].map(readSource))

function under (folder: string): SourceFile[] {
  return sources.filter((source) => source.path.startsWith(`${folder}/`))
}

// Each import of a file in `folder` that leaves the folders it may import from.
function importsOutside (folder: string, allowed: string[]): string[] {
  return under(folder).flatMap((source) => source.files
    .filter((file) => !allowed.some((target) => file.startsWith(`${target}/`)))
    .map((file) => `${source.path} -> ${file}`))
}

t.test('the public contract imports nothing; the core and the clients build from it, neither from the other', async (t) => {
  t.ok(under('contract').length > 0, 'contract/ is read')
  t.same(under('contract').flatMap((source) => [...source.files, ...source.packages]), [], 'contract/ imports nothing')
  t.same(importsOutside('src', ['src', 'contract']), [], 'src/ imports only src/ and contract/')
  t.same(importsOutside('sdk/src', ['sdk/src', 'contract']), [], 'the SDK imports only its own files and contract/')
  t.same(importsOutside('web/src', ['web/src', 'sdk/src', 'contract']), [], 'the page imports only its own files, the SDK and contract/')
  t.same(importsOutside('session-check', ['session-check', 'src', 'contract']), [], 'the plugin package imports only src/ and contract/')
})

t.test('the core has no Fastify import (the standalone @fastify/error aside)', async (t) => {
  t.ok(under('src').length > 50, 'src/ is read')
  t.ok(under('src').some((source) => source.packages.includes('@fastify/error')), 'the error registry is read')
  const fastifyImports = under('src').flatMap((source) => source.packages
    .filter((name) => FASTIFY_PACKAGE.test(name) && !STANDALONE_FASTIFY_PACKAGES.has(name))
    .map((name) => `${source.path} -> ${name}`))
  t.same(fastifyImports, [])
})

t.test('no import circle, in the server, its packages, the clients, bin/ or bench/', async (t) => {
  const importsOf = new Map(sources.map((source) => [source.path, source.files]))
  const circles: string[] = []
  const done = new Set<string>()
  const path: string[] = []
  const visit = (file: string): void => {
    path.push(file)
    for (const imported of importsOf.get(file) ?? []) {
      const at = path.indexOf(imported)
      if (at !== -1) circles.push([...path.slice(at), imported].join(' -> '))
      else if (!done.has(imported) && importsOf.has(imported)) visit(imported)
    }
    path.pop()
    done.add(file)
  }
  for (const file of importsOf.keys()) if (!done.has(file)) visit(file)
  t.ok(importsOf.size > 200, `${importsOf.size} files read`)
  t.same(circles, [])
})
