import { execFile } from 'node:child_process'
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { toolEnv } from './tool-env.js'

const run = promisify(execFile)
// An install reads npm's cache; packing only copies files of the root build (each package's
// prepack runs bin/lay-out-package.js), so it takes a second or two.
const NPM_TIMEOUT_MS = 180_000

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..', '..')

// What `npm pack --json` and `npm publish --dry-run --json` tell of one package.
export interface PackedPackage {
  name: string
  version: string
  filename: string
  files: Array<{ path: string }>
}

function workspaceFlags (workspaces: string[]): string[] {
  return workspaces.flatMap((workspace) => ['--workspace', workspace])
}

// `npm publish --dry-run` of workspaces of this repository: everything a publish does but the
// upload (prepack, the manifest's checks, the files it would send). Offline: whether the
// version is already on the registry is the release's question, not the test's.
export async function publishDryRun (workspaces: string[]): Promise<PackedPackage[]> {
  // Without coverage (tool-env.ts): packTarballs runs the same prepack under coverage.
  const { stdout } = await run('npm', ['publish', '--dry-run', '--offline', '--json', ...workspaceFlags(workspaces)], {
    cwd: PROJECT_ROOT, timeout: NPM_TIMEOUT_MS, env: toolEnv()
  })
  // One JSON object per package ({name: answer}), one after the other, each opening on a line of its own.
  return stdout.split(/^(?=\{$)/m).flatMap((answer) => Object.values(JSON.parse(answer) as Record<string, PackedPackage>))
}

// `npm pack` of workspaces of this repository into `destination`: the tarballs a publish
// would upload, with their paths. Under coverage: the packages' prepack (bin/lay-out-package.ts)
// is counted from this run.
export async function packTarballs (workspaces: string[], destination: string): Promise<Map<string, string>> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination, ...workspaceFlags(workspaces)], {
    cwd: PROJECT_ROOT, timeout: NPM_TIMEOUT_MS
  })
  const packed = JSON.parse(stdout) as PackedPackage[]
  return new Map(packed.map((pack) => [pack.name, join(destination, pack.filename)]))
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
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: NPM_TIMEOUT_MS, env: toolEnv() })
  for (const file of await readdir(join(PROJECT_ROOT, spec.sourceDir))) {
    await copyFile(join(PROJECT_ROOT, spec.sourceDir, file), join(dir, file))
  }
  await run(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { timeout: NPM_TIMEOUT_MS, env: toolEnv() })
}

// The version this repository's lockfile installed, so the project gets the same one.
export async function installedVersion (name: string): Promise<string> {
  const { default: manifest } = await import(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), { with: { type: 'json' } }) as { default: { version: string } }
  return manifest.version
}
