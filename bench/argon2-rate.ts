import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startCommand } from './start-command.js'

// argon2id verifications per second on this machine with the server's parameters and hash
// concurrency, in a child process started as `npm start` starts the server (its variables and
// node flags): what logins per second would be if a login cost nothing but its hash.

export interface Argon2Rate {
  concurrency: number
  verified: number
  seconds: number
  verificationsPerSecond: number
  // CPU time of the process (every thread) per verification: steadier than the rate on a shared machine.
  cpuMillisPerVerification: number
}

const CHILD = fileURLToPath(new URL('./argon2-rate-child.js', import.meta.url))

export async function measureArgon2Rate (concurrency: number, seconds: number): Promise<Argon2Rate> {
  const start = startCommand()
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...start.env }
  const { stdout } = await promisify(execFile)(process.execPath, [...start.nodeArgs, CHILD, String(concurrency), String(seconds)], { env })
  const { verified, seconds: elapsed, cpuSeconds } = JSON.parse(stdout) as { verified: number, seconds: number, cpuSeconds: number }
  return { concurrency, verified, seconds: elapsed, verificationsPerSecond: verified / elapsed, cpuMillisPerVerification: cpuSeconds * 1000 / verified }
}
