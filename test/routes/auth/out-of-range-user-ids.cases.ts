import { createSigner } from 'fast-jwt'
import t from 'tap'
import { USER_ID_MAX } from '../../../src/users/user-id.js'
import { buildTestApp, TEST_JWT_SECRET } from '../../helpers/build-app.js'
import { createAndLogIn, me } from '../../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, refreshTokenOf } from '../../helpers/strategies.js'

// User ids are PostgreSQL integers. A refresh token or a token whose user id is past that range
// names no user: it must be refused like any unknown token, never reach PostgreSQL as a
// parameter it cannot hold ("out of range for type integer", a 500).

const PAST_THE_RANGE = [USER_ID_MAX + 1, 2 ** 32, 9_999_999_999]
const MS_PER_SECOND = 1000
const ACCESS_TOKEN_SECONDS = 600

forEachStrategy(t, async (t, strategy) => {
  const { app } = await buildTestApp(t, appOptions(strategy))
  // A live session whose id the made-up tokens borrow, so only the user id is wrong.
  const user = await createAndLogIn(app)

  if (strategy.refresh) {
    t.test('a refresh token with a user id past the range answers 1004', async (t) => {
      const secret = refreshTokenOf(user.response).split('.')[2] ?? ''
      for (const userId of [USER_ID_MAX, ...PAST_THE_RANGE]) {
        const res = await refresh(app, `${userId}.${user.sessionId}.${secret}`)
        t.equal(res.statusCode, 401, `user id ${userId}: ${res.body}`)
        t.equal(res.json<{ errorCode: string }>().errorCode, '1004', `user id ${userId}`)
      }
      t.equal((await me(app, user.token)).statusCode, 200, 'the borrowed session is untouched')
    })
  }

  t.test('a token signed with our key whose user id is past the range answers 1001 or 1002', async (t) => {
    const iat = Math.floor(Date.now() / MS_PER_SECOND)
    for (const userId of [...PAST_THE_RANGE, Number.MAX_SAFE_INTEGER]) {
      // Signed outside the server, whose codec only ever signs claims it made.
      const token = createSigner({ key: TEST_JWT_SECRET })({ userId, userType: 'user', sid: user.sessionId, iat, auth_time: iat, exp: iat + ACCESS_TOKEN_SECONDS })
      const res = await me(app, token)
      t.equal(res.statusCode, 401, `user id ${userId}: ${res.body}`)
      const { errorCode } = res.json<{ errorCode: string }>()
      // Not 1003 either (REFRESH_STORE=postgres answers it for a session Redis lacks): a token that
      // can never name a user must not be told to refresh.
      t.equal(errorCode, '1001', `user id ${userId}: the claims are refused`)
    }
  })
})
