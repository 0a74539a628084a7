import { readdir, readFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import semver from 'semver'
import type { Test } from 'tap'
import { importedModules } from '../../bin/module-imports.js'

// An example is run from a project that installed the packed packages, as a user would after
// `npm install` in its folder: so its package.json must list every package its sources import,
// in ranges the packed and installed versions satisfy, and its sources must import each other
// by their .ts names (Node runs them as they are) without reaching outside the example.

interface ExampleManifest { dependencies: Record<string, string> }

// Every package the sources under `dir` import, and the relative imports that break the rule.
async function sourceImports (dir: string): Promise<{ packages: Set<string>, misfits: string[] }> {
  const packages = new Set<string>()
  const misfits: string[] = []
  for (const file of (await readdir(dir, { recursive: true })).filter((entry) => entry.endsWith('.ts'))) {
    for (const specifier of importedModules(await readFile(join(dir, file), 'utf8'))) {
      if (specifier.startsWith('.')) {
        if (!specifier.endsWith('.ts') || !join(dir, file, '..', specifier).startsWith(`${dir}${sep}`)) misfits.push(`${file} -> ${specifier}`)
      } else if (!specifier.startsWith('node:')) {
        packages.add(specifier)
      }
    }
  }
  return { packages, misfits }
}

async function installedVersion (project: string, name: string): Promise<string> {
  return (JSON.parse(await readFile(join(project, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

// `exampleDir`: the example's folder (package.json, src/); `project`: where it is installed.
export async function checkExampleManifest (t: Test, exampleDir: string, project: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(exampleDir, 'package.json'), 'utf8')) as ExampleManifest
  const { packages, misfits } = await sourceImports(join(exampleDir, 'src'))
  t.same([...packages].sort(), Object.keys(manifest.dependencies).sort(), 'its dependencies, and only those')
  t.same(misfits, [], 'relative imports by their .ts names, inside the example')
  for (const [name, range] of Object.entries(manifest.dependencies)) {
    const version = await installedVersion(project, name)
    t.ok(semver.satisfies(version, range), `${name}@${version} satisfies ${range}`)
  }
}
