import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../test/helpers/free-port.js'
import { median } from './stats.js'

// npm run bench:dev: how long `npm run dev` takes to serve when nothing changed, and to serve
// again after a source change (issue 24's bounds: seconds, and 3 s). It runs the real runner on
// this repository, changes one route file (a comment line added, then taken away) and times each
// change until the runner says the new server listens. The file is restored however it ends.

const PROJECT_DIR = resolve(import.meta.dirname, '..', '..')
const DEV_RUNNER = join(PROJECT_DIR, 'dist', 'bin', 'dev.js')
const CHANGED_FILE = join(PROJECT_DIR, 'routes', 'health.ts')
const CHANGES = 4
const RESTART_BOUND_MS = 3000
// A liveness bound for a stuck runner, not an expectation.
const WAIT_LIMIT_MS = 120_000
const POLL_MS = 10
const MS_PER_SECOND = 1000

const original = readFileSync(CHANGED_FILE, 'utf8')
const dataDir = mkdtempSync(join(tmpdir(), 'bench-dev-'))
let output = ''
const startedAt = performance.now()
const runner = spawn(process.execPath, [DEV_RUNNER], {
  cwd: PROJECT_DIR,
  env: { ...process.env, PORT: String(await freePort()), DATA_DIR: dataDir },
  stdio: ['ignore', 'pipe', 'pipe']
})
runner.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
runner.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })

function listeningLines (): number {
  return output.split('\n').filter((line) => line.includes('[dev] listening at')).length
}

// Milliseconds until the runner has said `listening at` `count` times.
async function untilListening (count: number, from: number): Promise<number> {
  while (listeningLines() < count) {
    if (runner.exitCode !== null) throw new Error(`npm run dev stopped:\n${output}`)
    if (performance.now() - from > WAIT_LIMIT_MS) throw new Error(`npm run dev did not listen within ${WAIT_LIMIT_MS} ms:\n${output}`)
    await sleep(POLL_MS)
  }
  return performance.now() - from
}

function seconds (ms: number): string {
  return `${(ms / MS_PER_SECOND).toFixed(1)} s`
}

try {
  const startMs = await untilListening(1, startedAt)
  const restarts: number[] = []
  for (let change = 1; change <= CHANGES; change++) {
    const changedAt = performance.now()
    writeFileSync(CHANGED_FILE, change % 2 === 1 ? `${original}// bench:dev change ${change}\n` : original)
    restarts.push(await untilListening(change + 1, changedAt))
  }
  const slowest = Math.max(...restarts)
  console.log(`npm run dev, nothing changed since the last build: serving after ${seconds(startMs)}`)
  console.log(`after a source change, serving again after ${restarts.map(seconds).join(', ')}: median ${seconds(median(restarts))}, slowest ${seconds(slowest)}`)
  console.log(`restart within ${seconds(RESTART_BOUND_MS)}: ${slowest <= RESTART_BOUND_MS ? 'met' : 'NOT MET'}`)
} finally {
  writeFileSync(CHANGED_FILE, original)
  if (runner.exitCode === null) {
    const exited = new Promise((resolve) => runner.once('exit', resolve))
    runner.kill('SIGINT')
    await exited
  }
  rmSync(dataDir, { recursive: true, force: true })
}
