import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { startCommand } from '../../bench/start-command.js'
import { TEST_DATA_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestContext } from './build-app.js'
import { freePort } from './free-port.js'
import { stopAtTeardown } from './stop-at-teardown.js'

const SERVER_ENTRY = join(import.meta.dirname, '..', '..', 'server.js')
// A liveness bound, not an expectation: on a loaded machine a start has taken over 20 s.
const READY_LIMIT_MS = 90_000
const READY_POLL_MS = 50
const OUTPUT_TAIL_CHARS = 8000
// As in buildTestApp: on a machine whose cores are busy elsewhere, reading Redis' answer can
// take longer than the production default, which is no outage.
const TEST_REDIS_COMMAND_TIMEOUT_MS = '5000'

export interface ServerProcess {
  origin: string
  // The tail of what the server printed, for a failure's message.
  output: () => string
}

async function isReady (origin: string): Promise<boolean> {
  try {
    const { statusCode, body } = await request(`${origin}/ready`)
    await body.dump()
    return statusCode === 200
  } catch {
    return false
  }
}

// The real server as a process of its own, started the way `npm start` starts it (its variables
// and node flags), in production mode, on a free port; `env` adds Redis, the database and any
// setting; `nodeBinary` runs it on another Node.js than the test's. Returns once /ready answers;
// stopped with SIGTERM in t.teardown.
export async function startServerProcess (t: TestContext, env: Record<string, string>, nodeBinary = process.execPath): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-process-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const start = startCommand()
  const child = spawn(nodeBinary, [...start.nodeArgs, SERVER_ENTRY], {
    // Nothing of the test's own environment (REDIS_URL, DATABASE_URL) reaches the server unasked.
    env: {
      PATH: process.env.PATH ?? '',
      ...start.env,
      NODE_ENV: 'production',
      DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      // JWT_KEYS, which a test may set, excludes JWT_SECRET.
      ...(env.JWT_KEYS === undefined ? { JWT_SECRET: TEST_JWT_SECRET } : {}),
      LOG_LEVEL: 'warn',
      REDIS_COMMAND_TIMEOUT: TEST_REDIS_COMMAND_TIMEOUT_MS,
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  stopAtTeardown(t, child)

  const deadline = Date.now() + READY_LIMIT_MS
  while (!(await isReady(origin))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited before it was ready:\n${output}`)
    if (Date.now() > deadline) throw new Error(`the server was not ready within ${READY_LIMIT_MS} ms:\n${output}`)
    await sleep(READY_POLL_MS)
  }
  return { origin, output: () => output }
}
