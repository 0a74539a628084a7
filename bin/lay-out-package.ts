import { builtinModules } from 'node:module'
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { importedModules } from './module-imports.js'

// A package's `prepack` (session-check/, sdk/): lays out its dist/ from the root build, so
// packing and publishing compile nothing. The package's `exports` name files under its dist/
// by their path in the root's dist/ (`./dist/session-check/index.js` is the root's
// `dist/session-check/index.js`); those files and every file they import, with their
// declarations, are copied there, keeping their relative paths, and the repository's LICENSE beside. Each package a copied file
// imports must be one of the package's dependencies or peer dependencies, or packing fails.
// Run from the package's folder (npm runs `prepack` there): `node ../dist/bin/lay-out-package.js`.

const ROOT_DIST = resolve(import.meta.dirname, '..')
const PACKAGE_DIST = 'dist'
// The package's files are copied without their source maps: the sources are not in the package.
const SOURCE_MAP_COMMENT = /\n\/\/# sourceMappingURL=\S+\s*$/
const BUILTINS = new Set(builtinModules)
const LICENSE_FILE = 'LICENSE'

interface PackageManifest {
  name: string
  exports: unknown
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

// Every path string in `exports` (conditions and subpaths nested in any way).
function exportedPaths (exports: unknown): string[] {
  if (typeof exports === 'string') return [exports]
  if (typeof exports !== 'object' || exports === null) return []
  return Object.values(exports).flatMap(exportedPaths)
}

// '@scope/name/sub' and 'name/sub' → the package's name.
function packageNameOf (specifier: string): string {
  const parts = specifier.split('/')
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/')
}

function isBuiltin (specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier)
}

// The file a .js file's declarations are in.
function declarationOf (file: string): string {
  return file.replace(/\.js$/, '.d.ts')
}

async function readBuilt (file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new Error(`${relative(process.cwd(), file)} is not built: run \`npm run build\` at the repository root first`, { cause: error })
  }
}

// The root build's files the package is made of (.js and .d.ts, relative to the root's dist/),
// and the packages they import.
async function importClosure (entries: string[]): Promise<{ files: string[], packages: Set<string> }> {
  const files = new Set<string>()
  const packages = new Set<string>()
  const pending = [...entries]
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue
    files.add(file)
    const text = await readBuilt(join(ROOT_DIST, file))
    for (const specifier of importedModules(text)) {
      if (specifier.startsWith('.')) {
        const imported = relative(ROOT_DIST, resolve(ROOT_DIST, dirname(file), specifier))
        pending.push(imported, declarationOf(imported))
      } else if (!isBuiltin(specifier)) {
        packages.add(packageNameOf(specifier))
      }
    }
  }
  return { files: [...files].sort(), packages }
}

async function layOutPackage (packageDir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as PackageManifest
  const prefix = `./${PACKAGE_DIST}/`
  const entries = exportedPaths(manifest.exports).filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length))
  if (entries.length === 0) throw new Error(`${manifest.name}: no export under ${prefix}`)
  const { files, packages } = await importClosure(entries)
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})])
  const undeclared = [...packages].filter((name) => !declared.has(name) && name !== manifest.name)
  if (undeclared.length > 0) {
    throw new Error(`${manifest.name} imports ${undeclared.join(', ')}, which its package.json does not list in dependencies or peerDependencies`)
  }

  // A file left from an earlier layout must not be packed.
  await rm(join(packageDir, PACKAGE_DIST), { recursive: true, force: true })
  for (const file of files) {
    const target = join(packageDir, PACKAGE_DIST, file)
    await mkdir(dirname(target), { recursive: true })
    if (file.endsWith('.js')) await writeFile(target, (await readFile(join(ROOT_DIST, file), 'utf8')).replace(SOURCE_MAP_COMMENT, '\n'))
    else await copyFile(join(ROOT_DIST, file), target)
  }
  // The repository's licence, which npm packs from the package's own folder.
  await copyFile(join(ROOT_DIST, '..', LICENSE_FILE), join(packageDir, LICENSE_FILE))
  // On stderr: `npm pack --json` and `npm publish --json` keep stdout for their answer.
  process.stderr.write(`${manifest.name}: ${files.length} files from the root build in ${PACKAGE_DIST}/\n`)
}

await layOutPackage(process.cwd())
