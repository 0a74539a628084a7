import { performance } from 'node:perf_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'
import t from 'tap'
import { Pool } from 'undici'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE } from '../helpers/strategies.js'

const ROUNDS = 25
const REQUESTS_PER_ROUND = 200
const CONNECTIONS = 32

interface Outcome {
  startedAt: number
  status: number
  errorCode?: string
}

// The guarantee: once a logout has been answered, no request that starts afterwards succeeds,
// on any connection. Requests stream in over real sockets while the logout lands mid-stream.
t.test('no request that starts after the logout\'s answer succeeds', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const origin = await app.listen({ port: 0, host: '127.0.0.1' })
    const pool = new Pool(origin, { connections: CONNECTIONS })
    t.teardown(async () => await pool.close())

    let violations = 0
    let startedAfterLogout = 0
    let succeededBeforeLogout = 0
    let failedLogouts = 0
    for (let round = 0; round < ROUNDS; round++) {
      const session = await createAndLogIn(app)
      const outcomes: Outcome[] = []
      let logoutAnsweredAt = Number.POSITIVE_INFINITY
      const inFlight: Array<Promise<unknown>> = []
      const logoutAfter = Math.floor(REQUESTS_PER_ROUND / 4) + (round % 50)

      for (let i = 0; i < REQUESTS_PER_ROUND; i++) {
        if (i === logoutAfter) {
          inFlight.push(pool.request({ method: 'POST', path: '/auth/logout', headers: { token: session.token } })
            .then(async (res) => {
              await res.body.dump()
              logoutAnsweredAt = performance.now()
              if (res.statusCode !== 200) failedLogouts++
            }))
        }
        const startedAt = performance.now()
        inFlight.push(pool.request({ method: 'GET', path: '/auth/me', headers: { token: session.token } })
          .then(async (res) => {
            const body = await res.body.json() as { errorCode?: string }
            outcomes.push({ startedAt, status: res.statusCode, errorCode: body.errorCode })
          }))
        // Let responses arrive while requests keep starting, so the logout's answer lands mid-stream.
        await nextTurn()
      }
      await Promise.all(inFlight)

      for (const outcome of outcomes) {
        if (outcome.startedAt > logoutAnsweredAt) {
          startedAfterLogout++
          if (outcome.status !== 401 || outcome.errorCode !== '1002') violations++
        } else if (outcome.status === 200) {
          succeededBeforeLogout++
        }
      }
    }
    t.equal(failedLogouts, 0, 'every logout succeeded')
    t.equal(violations, 0, 'every request started after the logout answered 1002')
    // Both sides of the race must have happened, or this test proved nothing.
    t.ok(startedAfterLogout > ROUNDS, `requests started after the logout: ${startedAfterLogout}`)
    t.ok(succeededBeforeLogout > ROUNDS, `requests that succeeded before it: ${succeededBeforeLogout}`)
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})
