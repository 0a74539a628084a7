import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/free-port.js'
import { addCleanup, trackChild } from './cleanup.js'

// Servers under test run as child processes on loopback, so each has its own event loop
// and heap like in production, and the load generator does not share them.

const READY_TIMEOUT_MS = 30_000
const READY_POLL_MS = 50
const STOP_GRACE_MS = 5_000
const OUTPUT_TAIL_LINES = 40

export interface ServerSpec {
  name: string
  // The compiled entry point to run with node.
  script: URL
  env: Record<string, string>
  nodeArgs?: string[]
}

export interface RunningServer {
  name: string
  url: string
  pid: number
  stop: () => Promise<void>
}

export const OUR_SERVER = new URL('../server.js', import.meta.url)

export function referenceServer (name: string): URL {
  return new URL(`./reference/${name}.js`, import.meta.url)
}

async function isHealthy (url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`)
    await response.body?.cancel()
    return response.ok
  } catch {
    return false
  }
}

export async function startServer (spec: ServerSpec): Promise<RunningServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // Only what the server needs: nothing of the caller's environment leaks into the figures.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...spec.env, PORT: String(port), HOST: '127.0.0.1' }
  const child = spawn(process.execPath, [...spec.nodeArgs ?? [], fileURLToPath(spec.script)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  trackChild(child)
  const output: string[] = []
  const keepTail = (chunk: Buffer): void => {
    output.push(...chunk.toString().split('\n').filter(Boolean))
    output.splice(0, Math.max(0, output.length - OUTPUT_TAIL_LINES))
  }
  child.stdout.on('data', keepTail)
  child.stderr.on('data', keepTail)
  const exited = once(child, 'exit')
  let stopping = false

  const deadline = Date.now() + READY_TIMEOUT_MS
  while (!(await isHealthy(url))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${spec.name} did not become healthy on ${url}:\n${output.join('\n')}`)
    }
    await sleep(READY_POLL_MS)
  }
  // A server that dies during the run is a broken figure: say so where it happened.
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`${spec.name} exited unexpectedly (${code ?? signal}):\n${output.join('\n')}`)
  })

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    stopping = true
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(killer)
  }
  addCleanup(stop)
  return { name: spec.name, url, pid: child.pid ?? 0, stop }
}
