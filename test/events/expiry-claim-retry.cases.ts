import { Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createUser, logIn, type LoggedIn } from '../helpers/sessions.js'

// An instance that claims an idle expiry and gets no answer within REDIS_COMMAND_TIMEOUT (a busy
// Redis, which may well run the claim later) claims again, as the same claimant, for up to 30 s:
// the expiry is told once, not lost. Before, the first timeout lost the session.ended event, and
// then a Redis that stalled past four attempts (about a second) did.

const STREAM = 'auth-events'
// Short, so that the pause below outlasts it; a busy machine may make other calls of the app
// outlast it too, which the test's own steps therefore retry.
const COMMAND_TIMEOUT_MS = 100
const LOGIN_ATTEMPTS = 10
// Writes (scripts included) wait this long after the expiry: the claim's attempts time out for
// longer than the four attempts of the watcher before this one lasted (about 1 s), which lost it.
const PAUSE_MS = 1500
// A duplicate, were a retry's claim not its own claimant's, would come with the first answer.
const DUPLICATE_WAIT_MS = 300
// Past the logical expiry of a PEXPIRE of 1 ms.
const EXPIRY_MARGIN_MS = 5
const ROUNDS = 3
const WAIT_LIMIT_MS = 15_000
const POLL_MS = 20

t.test('a claim of an idle expiry that times out is made again: the expiry is told once', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { redisServer, env: { EVENTS_STREAM: STREAM, REDIS_COMMAND_TIMEOUT: String(COMMAND_TIMEOUT_MS) } })
  // The test's own connection, without the app's command timeout.
  const own = new Redis(app.config.REDIS_URL)
  t.teardown(() => { own.disconnect() })
  const streamKey = `${app.config.REDIS_KEY_PREFIX}${STREAM}`

  async function endedReasonsOf (sessionId: string): Promise<string[]> {
    const entries = await own.xrange(streamKey, '-', '+')
    return entries.flatMap(([, fields]) => {
      const field = (name: string): string | undefined => fields[fields.indexOf(name) + 1]
      return field('type') === 'session.ended' && field('sessionId') === sessionId ? [field('reason') ?? ''] : []
    })
  }

  // A login answered 503 (a command past the short timeout on a busy machine) is made again.
  async function logInNewUser (): Promise<LoggedIn> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await logIn(app, await createUser(app))
      } catch (error) {
        if (attempt >= LOGIN_ATTEMPTS || !/503|1503/.test(String(error))) throw error
        await sleep(POLL_MS)
      }
    }
  }

  for (let round = 1; round <= ROUNDS; round++) {
    const login = await logInNewUser()
    await app.sessionEventsWritten()
    const key = `${app.config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{${login.userId}}:${login.sessionId}`
    await own.pexpire(key, 1)
    await sleep(EXPIRY_MARGIN_MS)
    // One batch: EXISTS finds the key expired and Redis reports it; then writes pause, so the
    // claim the report brings waits past its command timeout.
    const [[, exists] = []] = await own.pipeline().exists(key).client('PAUSE', PAUSE_MS, 'WRITE').exec() ?? []
    t.equal(exists, 0, `round ${round}: expired by the EXISTS, before the pause`)
    const deadline = Date.now() + WAIT_LIMIT_MS
    let ended = await endedReasonsOf(login.sessionId)
    while (ended.length === 0 && Date.now() < deadline) {
      await sleep(POLL_MS)
      ended = await endedReasonsOf(login.sessionId)
    }
    await sleep(DUPLICATE_WAIT_MS)
    t.same(await endedReasonsOf(login.sessionId), ['expired'], `round ${round}: the expiry is told once`)
  }
})
