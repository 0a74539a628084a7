import { readFileSync } from 'node:fs'

// How `npm start` (and so the Docker image) runs the server: the variables its script sets and
// the flags it gives node. The bench runs our server the same way, so its figures, memory above
// all, are those of the default set-up.

export interface StartCommand {
  env: Record<string, string>
  nodeArgs: string[]
}

const ASSIGNMENT = /^([A-Z_][A-Z0-9_]*)=(\S*)$/

export function startCommand (packageJsonUrl = new URL('../../package.json', import.meta.url)): StartCommand {
  const { scripts } = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { scripts: Record<string, string> }
  const words = (scripts.start ?? '').trim().split(/\s+/)
  const env: Record<string, string> = {}
  let word = words.shift()
  for (let match = ASSIGNMENT.exec(word ?? ''); match !== null; match = ASSIGNMENT.exec(word ?? '')) {
    env[match[1] ?? ''] = match[2] ?? ''
    word = words.shift()
  }
  if (word !== 'node') throw new Error(`package.json's start script should run node, got "${scripts.start ?? ''}"`)
  return { env, nodeArgs: words.filter((arg) => arg.startsWith('--')) }
}
