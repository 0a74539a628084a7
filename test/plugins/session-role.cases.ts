import { createSigner } from 'fast-jwt'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { createAndLogIn, me } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, REFRESH_STRATEGIES, STRATEGIES } from '../helpers/strategies.js'

// The claims a token signed with the server's own key may carry are not proof of a role or of an
// expiry: the session says what the user is, and refresh-strategy access tokens always expire.
const signWithSecret = createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS256' })

function claimsOf (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
}

function assertInvalidToken (t: Test, res: LightMyRequestResponse, what: string): void {
  t.equal(res.statusCode, 401, `${what}: 401 (${res.body})`)
  t.equal(res.json<{ errorCode: string }>().errorCode, '1001', `${what}: errorCode 1001`)
}

t.test('the role is the one stored with the session, not the token\'s claim', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const user = await createAndLogIn(app)
    // Served once first, so that with the near-cache on the forged token meets a cached session.
    t.equal((await me(app, user.token)).statusCode, 200, 'the genuine token works')
    const forged = signWithSecret({ ...claimsOf(user.token), userType: 'admin' })
    assertInvalidToken(t, await app.inject({
      method: 'GET', url: `/admin/users/${user.userId}/sessions`, headers: { token: forged }
    }), 'an admin claim on an ordinary session, on an admin route')
    assertInvalidToken(t, await me(app, forged), 'the same token on /auth/me')
    const admin = await createAndLogIn(app, 'admin')
    const demotedClaim = signWithSecret({ ...claimsOf(admin.token), userType: 'user' })
    assertInvalidToken(t, await me(app, demotedClaim), 'a user claim on an admin session')
    t.equal((await me(app, user.token)).statusCode, 200, 'the genuine token still works')
  }, STRATEGIES)
})

t.test('refresh strategy: an access token without exp is refused', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const user = await createAndLogIn(app)
    const claims = claimsOf(user.token)
    t.type(claims.exp, 'number', 'the access token the server issued has exp')
    const { exp, ...withoutExp } = claims
    t.ok(exp, 'exp removed')
    assertInvalidToken(t, await me(app, signWithSecret(withoutExp)), 'the same claims without exp')
    t.equal((await me(app, user.token)).statusCode, 200, 'the issued access token works')
  }, REFRESH_STRATEGIES)
})

t.test('sliding strategy: a token signed with our key and an exp in the past is invalid, not "refresh"', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await createAndLogIn(app)
  const claims = claimsOf(user.token)
  const expired = signWithSecret({ ...claims, exp: Number(claims.iat) - 1 })
  assertInvalidToken(t, await me(app, expired), 'an expired token where no token expires')
})
