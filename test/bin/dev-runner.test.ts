import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { request } from 'undici'
import { createTestDatabase, reachablePostgresUrl } from '../helpers/database.js'
import { freePort } from '../helpers/free-port.js'
import { RedisServer } from '../helpers/redis-server.js'
import { PROJECT_DIR, tempDir } from './run-cli.js'

// README command 1's runner (bin/dev.ts) as a developer runs it: its own process, in a
// directory of its own. The watch loop itself is tested on a small project (watch-and-restart.test.ts).

const DEV_RUNNER = join(PROJECT_DIR, 'dist', 'bin', 'dev.js')
const SERVER = join(PROJECT_DIR, 'dist', 'server.js')
// A liveness bound for a loaded machine, not an expectation.
const START_LIMIT_MS = 120_000
const POLL_MS = 50
const REDIS_PASSWORD = 'redis-password-never-printed'

interface Run {
  child: ChildProcess
  output: () => string
}

function run (script: string, args: string[], env: Record<string, string>, cwd: string): Run {
  const child = spawn(process.execPath, [script, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  return { child, output: () => output }
}

async function waitFor (what: string, run: Run, found: () => boolean): Promise<void> {
  const deadline = Date.now() + START_LIMIT_MS
  while (!found()) {
    if (run.child.exitCode !== null) throw new Error(`exited before ${what}:\n${run.output()}`)
    if (Date.now() > deadline) throw new Error(`no ${what} within ${START_LIMIT_MS} ms:\n${run.output()}`)
    await sleep(POLL_MS)
  }
}

t.test('REDIS_URL= is refused alike by the server, the admin CLI and npm run dev', async (t) => {
  const dir = tempDir(t)
  const env = { REDIS_URL: '', DATA_DIR: join(dir, 'data') }
  const outcomes = await Promise.all([[SERVER], [DEV_RUNNER], [join(PROJECT_DIR, 'dist', 'bin', 'admin.js'), 'sessions', '--user', '1']]
    .map(async ([script = '', ...args]) => {
      const started = run(script, args, env, dir)
      const [code] = await once(started.child, 'exit') as [number | null]
      return { script, code, output: started.output() }
    }))
  for (const { script, code, output } of outcomes) {
    t.equal(code, 1, `${script} stops`)
    t.match(output, /REDIS_URL is set but empty: unset it \(`unset REDIS_URL`\) for its default, or give a value/, `${script} says why and what to do`)
  }
  t.equal(new Set(outcomes.map(({ output }) => output)).size, 1, 'in the same words')
})

t.test('npm run dev says which Redis, database and secret it uses, passwords hidden, then one line per request', async (t) => {
  const dir = tempDir(t)
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const postgres = await reachablePostgresUrl()
  const databaseUrl = postgres === undefined ? undefined : new URL(postgres)
  // PostgreSQL here trusts local connections or knows the password the URL already has.
  if (databaseUrl !== undefined && databaseUrl.password === '') databaseUrl.password = 'database-password-never-printed'
  const database = await createTestDatabase(databaseUrl?.href)
  t.teardown(async () => await database.drop())
  const port = await freePort()
  const redisUrl = `redis://:${REDIS_PASSWORD}@127.0.0.1:${redisServer.port}`
  const dev = run(DEV_RUNNER, ['--no-watch'], {
    REDIS_URL: redisUrl,
    ...(database.url === undefined ? {} : { DATABASE_URL: database.url }),
    DATA_DIR: './data',
    PORT: String(port)
  }, dir)
  t.teardown(() => { if (dev.child.exitCode === null) dev.child.kill('SIGKILL') })

  await waitFor('listening', dev, () => dev.output().includes(`listening at http://127.0.0.1:${port}`))
  const lines = dev.output().split('\n')
  t.match(lines[0], `[dev] Redis: redis://:***@127.0.0.1:${redisServer.port} (not started by this runner)`, 'first line: Redis, password hidden')
  if (databaseUrl === undefined) {
    t.match(lines[1], `[dev] database: the embedded PGlite database in ${join(dir, 'data', 'pglite')}`)
  } else {
    t.match(lines[1], `[dev] database: postgres://${databaseUrl.username}:***@${databaseUrl.host}${databaseUrl.pathname}`, 'then the database, password hidden')
  }
  t.equal(lines[2], '[dev] tokens: the development secret in data/jwt-secret; another service on this machine uses it with JWT_SECRET=$(cat data/jwt-secret)')
  t.ok(readFileSync(join(dir, 'data', 'jwt-secret'), 'utf8').trim().length >= 32, 'the file the line names holds the secret')
  t.equal(lines[3], `[dev] password-reset links: written to this log (no DELIVERY_WEBHOOK_URL or SMTP_URL), opening http://127.0.0.1:${port}/#/reset`)

  const answer = await request(`http://127.0.0.1:${port}/auth/me`)
  await answer.body.dump()
  t.equal(answer.statusCode, 401)
  await waitFor('the request line', dev, () => /^\d\d:\d\d:\d\d\.\d{3} INFO: GET \/auth\/me 401 \d+\.\d ms$/m.test(dev.output()))
  t.notOk(dev.output().includes(REDIS_PASSWORD), 'the Redis password is never printed')
  if (databaseUrl !== undefined) t.notOk(dev.output().includes(`:${databaseUrl.password}@`), 'nor the database\'s')
  t.notOk(/^\{"level"/m.test(dev.output()), 'no JSON log line')

  dev.child.kill('SIGTERM')
  const [code] = await once(dev.child, 'exit') as [number | null]
  t.equal(code, 0, 'Ctrl-C or SIGTERM stops the runner cleanly')
  const closed = await request(`http://127.0.0.1:${port}/health`).then(async (r) => { await r.body.dump(); return false }, () => true)
  t.ok(closed, 'and the server with it')
})
