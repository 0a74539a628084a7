import { execFile } from 'node:child_process'
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
// Most of the time is npm: a pack runs the package's build (prepack), an install reads the cache.
const NPM_TIMEOUT_MS = 180_000

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..', '..')

// `npm pack` in a package folder of this repository, as a publish would: its prepack builds it.
export async function packTarball (packageDir: string, destination: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', destination], {
    cwd: join(PROJECT_ROOT, packageDir), timeout: NPM_TIMEOUT_MS
  })
  const fileName = stdout.trim().split('\n').at(-1)
  if (fileName === undefined || fileName === '') throw new Error(`npm pack in ${packageDir} printed no file name`)
  return join(destination, fileName)
}

export interface ProjectSpec {
  dependencies: Record<string, string>
  // Copied into the project and compiled with the repository's TypeScript (strict), as an app would.
  sourceDir: string
}

// A fresh project outside the repository that installs the given packages (tarballs or versions)
// and compiles its own TypeScript against their published types.
export async function createProject (dir: string, spec: ProjectSpec): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: spec.dependencies }, null, 2))
  // Offline first: the repository's own install already cached every version asked for here.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: NPM_TIMEOUT_MS })
  for (const file of await readdir(join(PROJECT_ROOT, spec.sourceDir))) {
    await copyFile(join(PROJECT_ROOT, spec.sourceDir, file), join(dir, file))
  }
  await run(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { timeout: NPM_TIMEOUT_MS })
}

// The version this repository's lockfile installed, so the project gets the same one.
export async function installedVersion (name: string): Promise<string> {
  const { default: manifest } = await import(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), { with: { type: 'json' } }) as { default: { version: string } }
  return manifest.version
}
