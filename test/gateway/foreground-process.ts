import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { connect } from 'node:net'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from '../helpers/build-app.js'

// Debian puts nginx in /usr/sbin, which is not on every user's PATH.
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin']
const STARTUP_TIMEOUT_MS = 10_000
const POLL_INTERVAL_MS = 20

export function findExecutable (name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS]
  for (const dir of dirs) {
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

export interface ForegroundGateway {
  name: string
  command: string
  args: string[]
  env?: NodeJS.ProcessEnv
  // Where it listens on 127.0.0.1: the start is over when it accepts connections there.
  listenPort: number
}

// A gateway process in the foreground, killed at teardown (even when the test fails), its
// stderr kept for the message of a failed start.
export async function startInForeground (t: TestContext, gateway: ForegroundGateway): Promise<void> {
  const child = spawn(gateway.command, gateway.args, { stdio: ['ignore', 'ignore', 'pipe'], env: gateway.env ?? process.env })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  })

  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (!(await accepts(gateway.listenPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${gateway.name} did not start (exit ${String(child.exitCode)}):\n${stderr}`)
    }
    await sleep(POLL_INTERVAL_MS)
  }
}
