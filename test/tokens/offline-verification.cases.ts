import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { sharedRedisDatabaseUrl } from '../helpers/redis-server.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'
import { TEST_PASSWORD, uniqueAccount } from '../helpers/sessions.js'

// Another service's view: the auth server runs as a process of its own, and this process checks
// its access tokens the way a service that never calls it would, with jose, the JWK Set and the
// token alone.

const ALGORITHM = 'EdDSA'
const MS_PER_SECOND = 1000

interface KeyEntry { kid: string, privateKey: string }

function newKey (kid: string): KeyEntry {
  return { kid, privateKey: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
}

async function call (server: ServerProcess, method: 'GET' | 'POST', path: string, options: { token?: string, json?: object } = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const headers: Record<string, string> = options.token === undefined ? {} : { token: options.token }
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  const response = await request(`${server.origin}${path}`, { method, headers, ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }) })
  const text = await response.body.text()
  return { status: response.statusCode, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
}

// A new account on this server (each process has its own embedded database), logged in.
async function accessToken (t: Test, server: ServerProcess): Promise<string> {
  const account = uniqueAccount()
  t.equal((await call(server, 'POST', '/auth/register', { json: { account, password: TEST_PASSWORD } })).status, 201, server.output())
  const login = await call(server, 'POST', '/auth/login', { json: { account, password: TEST_PASSWORD } })
  t.equal(login.status, 200, server.output())
  return String(login.body.token)
}

function headerKid (token: string): unknown {
  return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid?: unknown }).kid
}

t.test('another process verifies access tokens offline with the JWK Set, across a key rotation', async (t) => {
  const oldKey = newKey('2026-05-02-old')
  const nextKey = newKey('2026-11-27-new')
  const redisUrl = process.env.REDIS_URL ?? ''
  const env = {
    ...(redisUrl === '' ? { REDIS_URL: await sharedRedisDatabaseUrl() } : { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:` }),
    AUTH_STRATEGY: 'refresh',
    REFRESH_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    ACCESS_TOKEN_ALG: ALGORITHM
  }
  // Before the rotation, and after its switch (the new key first, the old one still listed),
  // as two instances of one deployment in the middle of a rolling update.
  const [before, after] = await Promise.all([
    startServerProcess(t, { ...env, JWT_KEYS: JSON.stringify([oldKey]) }),
    startServerProcess(t, { ...env, JWT_KEYS: JSON.stringify([nextKey, oldKey]) })
  ])
  const verifyOptions = { algorithms: [ALGORITHM], requiredClaims: ['exp', 'sid'] }
  const jwksBefore = createRemoteJWKSet(new URL(`${before.origin}/.well-known/jwks.json`))
  const jwksAfter = createRemoteJWKSet(new URL(`${after.origin}/.well-known/jwks.json`))

  const oldToken = await accessToken(t, before)
  t.equal(headerKid(oldToken), oldKey.kid)
  const { payload, protectedHeader } = await jwtVerify(oldToken, jwksBefore, verifyOptions)
  t.match(protectedHeader, { alg: ALGORITHM, kid: oldKey.kid }, 'verified offline with the published key')
  t.match(payload, { userId: Number, userType: 'user', sid: String, exp: Number })

  const stillOld = await jwtVerify(oldToken, jwksAfter, verifyOptions)
  t.equal(stillOld.payload.sid, payload.sid, 'after the switch the old key is still published: its tokens still verify')
  const newToken = await accessToken(t, after)
  t.equal(headerKid(newToken), nextKey.kid, 'new tokens carry the new kid')
  const { protectedHeader: newHeader } = await jwtVerify(newToken, jwksAfter, verifyOptions)
  t.equal(newHeader.kid, nextKey.kid, 'and verify offline')
  await t.rejects(jwtVerify(newToken, jwksBefore, verifyOptions), { code: 'ERR_JWKS_NO_MATCHING_KEY' },
    'a set that does not list the new key cannot verify it: the key must be announced first')

  const exp = Number(payload.exp)
  await t.rejects(jwtVerify(oldToken, jwksAfter, { ...verifyOptions, currentDate: new Date((exp + 1) * MS_PER_SECOND) }), { code: 'ERR_JWT_EXPIRED' },
    'past exp, refused offline')
  const forged = `${oldToken.slice(0, oldToken.lastIndexOf('.') + 1)}${'A'.repeat(86)}`
  await t.rejects(jwtVerify(forged, jwksAfter, verifyOptions), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, 'a bad signature, refused')

  // What offline verification gives up: a logout is seen by the session check at once, offline only at exp.
  t.equal((await call(after, 'POST', '/auth/logout', { token: newToken })).status, 200)
  t.match((await call(after, 'GET', '/auth/me', { token: newToken })).body, { errorCode: '1002' }, 'the server refuses the logged-out token')
  await t.resolves(jwtVerify(newToken, jwksAfter, verifyOptions), 'an offline verifier still accepts it until its exp')
})
