import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { request } from 'undici'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'
import { freePort } from '../helpers/free-port.js'
import { RedisServer } from '../helpers/redis-server.js'

const SERVER_ENTRY = join(import.meta.dirname, '..', '..', 'server.js')
// A liveness bound, not an expectation: on a loaded machine the server's start (a fresh PGlite)
// has taken over 20 s.
const LOG_LIMIT_MS = 90_000
const POLL_MS = 20

t.test('SIGTERM lets in-flight requests finish, then closes Redis and the database', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-shutdown-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`

  const server = spawn(process.execPath, [SERVER_ENTRY], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      REDIS_URL: redisServer.url,
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      // Long enough that a request can be held in flight by pausing Redis.
      REDIS_COMMAND_TIMEOUT: '5000',
      LOG_LEVEL: 'info'
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  server.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  server.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)))
  t.teardown(() => { server.kill('SIGKILL') })

  // Waits for the server's log to show `what`: events, not a guess at how long they take.
  async function logged (what: RegExp, description: string): Promise<void> {
    const deadline = Date.now() + LOG_LIMIT_MS
    while (!what.test(output)) {
      if (Date.now() > deadline) throw new Error(`${description} was not logged:\n${output}`)
      await sleep(POLL_MS)
    }
  }

  await logged(/Server listening/, 'the start')
  t.ok(existsSync(join(dataDir, 'pglite.lock')), 'the embedded database is locked while the server runs')

  // Hold a request in flight: Redis stops answering until after SIGTERM has arrived.
  redisServer.pause()
  const inFlight = request(`${origin}/ready`)
  await logged(/"msg":"incoming request"/, 'the request')
  server.kill('SIGTERM')
  await logged(/shutting down/, 'the shutdown')
  redisServer.resume()

  const res = await inFlight
  t.equal(res.statusCode, 200, 'the request in flight at SIGTERM was answered')
  t.same(await res.body.json(), { status: 'ready' })
  t.equal(await exited, 0, 'the process exits cleanly', { output })
  t.match(output, /shutting down/, 'the shutdown is logged')
  t.notOk(existsSync(join(dataDir, 'pglite.lock')), 'the database was closed (its lock released)')
  t.equal(await redisServer.clientCount(), 0, 'the Redis connection was closed')
})
