import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { buildTestApp, TEST_DATA_ENCRYPTION_KEY } from '../helpers/build-app.js'
import { configError } from '../helpers/config-error.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, type LoggedIn } from '../helpers/sessions.js'

const KEY_1 = { kid: 'key-1', secret: randomBytes(32).toString('base64url') }
const KEY_2 = { kid: 'key-2', secret: randomBytes(32).toString('base64url') }
const SESSIONS = 12
const ROUNDS = 8
const RENEWED_TOKEN_HEADER = 'x-renewed-token'

interface KeyEntry { kid: string, secret: string, signs?: false }

function keysEnv (...keys: KeyEntry[]): Record<string, string> {
  return { JWT_KEYS: JSON.stringify(keys) }
}

function headerKid (token: string): unknown {
  return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid?: unknown }).kid
}

t.test('JWT_KEYS: a JSON list or a file of {kid, secret}; mistakes named without the secret', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'jwt-keys.json')
  writeFileSync(file, JSON.stringify([KEY_2, KEY_1]))
  t.same(loadConfig({ DATA_DIR: dir, JWT_KEYS: file }).jwtKeys, [KEY_2, KEY_1], 'read from a file, in order')
  t.same(loadConfig({ DATA_DIR: dir, JWT_KEYS: JSON.stringify([KEY_1]) }).jwtKeys, [KEY_1], 'or given inline')
  t.same(loadConfig({ DATA_DIR: dir, JWT_KEYS: JSON.stringify([{ ...KEY_2, signs: false }, KEY_1]) }).jwtKeys,
    [{ ...KEY_2, signs: false }, KEY_1], 'a coming key is marked "signs": false')

  const shortSecret = 'short-secret'
  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ['both variables', { JWT_KEYS: JSON.stringify([KEY_1]), JWT_SECRET: KEY_2.secret }, /JWT_SECRET or JWT_KEYS, not both/],
    ['not JSON', { JWT_KEYS: '[{kid: 1}' }, /not a JSON list/],
    ['an empty list', { JWT_KEYS: '[]' }, /at least one/],
    ['a missing file', { JWT_KEYS: join(dir, 'absent.json') }, /neither a JSON list nor a readable file \(ENOENT/],
    ['a kid with a space', { JWT_KEYS: JSON.stringify([{ kid: 'a b', secret: KEY_1.secret }]) }, /JWT_KEYS\[0\] needs a "kid"/],
    ['a short secret', { JWT_KEYS: JSON.stringify([KEY_1, { kid: 'k', secret: shortSecret }]) }, /JWT_KEYS\[1\] \(kid "k"\) needs a "secret" of at least 32/],
    ['a kid twice', { JWT_KEYS: JSON.stringify([KEY_1, { ...KEY_2, kid: KEY_1.kid }]) }, /names kid "key-1" twice/],
    ['no key that signs', { JWT_KEYS: JSON.stringify([{ ...KEY_1, signs: false }]) }, /no key that signs/],
    ['"signs" not a boolean', { JWT_KEYS: JSON.stringify([{ ...KEY_1, signs: 'no' }]) }, /has "signs" other than true or false/]
  ]
  for (const [what, env, message] of refused) {
    const error = configError(env)
    t.match(error?.message, message, what)
    t.notMatch(error?.message ?? '', new RegExp(`${KEY_1.secret}|${KEY_2.secret}|${shortSecret}`), `${what}: no secret in the message`)
  }

  const production = { NODE_ENV: 'production', DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, JWT_KEYS: JSON.stringify([KEY_1]) }
  t.match(configError({ ...production, AUTH_STRATEGY: 'refresh' })?.message, /REFRESH_TOKEN_SECRET .* is required with JWT_KEYS/,
    'production refresh tokens need their own secret next to JWT_KEYS')
  t.equal(loadConfig({ ...production, AUTH_STRATEGY: 'refresh', REFRESH_TOKEN_SECRET: KEY_2.secret }).refreshTokenSecret, KEY_2.secret)
  t.equal(loadConfig({ NODE_ENV: 'production', DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, AUTH_STRATEGY: 'refresh', JWT_SECRET: KEY_1.secret }).refreshTokenSecret, KEY_1.secret,
    'without REFRESH_TOKEN_SECRET, JWT_SECRET still derives refresh tokens')
})

t.test('rotating the signing key under load: no request fails, every session ends up on the new key', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app: before } = await buildTestApp(t, { redisServer, env: keysEnv(KEY_1) })
  const sessions: LoggedIn[] = []
  for (let i = 0; i < SESSIONS; i++) sessions.push(await createAndLogIn(before))
  t.ok(sessions.every((session) => headerKid(session.token) === KEY_1.kid), 'tokens name the key that signed them')

  // A rolling deployment: the new key signs on one instance; the other knows it as a coming key
  // and still signs with the old one. Neither hands tokens back to the other's key.
  const { app: rotated } = await buildTestApp(t, { redisServer, env: keysEnv(KEY_2, KEY_1) })
  const { app: knowing } = await buildTestApp(t, { redisServer, env: keysEnv({ ...KEY_2, signs: false }, KEY_1) })
  const staged = await knowing.inject({ url: '/auth/me', headers: { token: sessions[0]?.token ?? '' } })
  t.notOk(staged.headers[RENEWED_TOKEN_HEADER], 'an instance where the new key is coming renews nothing')
  const instances = [rotated, knowing]
  const statuses = new Map<number, number>()
  const clients = sessions.map(async (session) => {
    let token = session.token
    for (let round = 0; round < ROUNDS; round++) {
      const res = await instances[round % instances.length]?.inject({ url: '/auth/me', headers: { token } })
      statuses.set(res?.statusCode ?? 0, (statuses.get(res?.statusCode ?? 0) ?? 0) + 1)
      const renewed = res?.headers[RENEWED_TOKEN_HEADER]
      if (typeof renewed === 'string') token = renewed
    }
    return token
  })
  const finalTokens = await Promise.all(clients)
  t.same([...statuses], [[200, SESSIONS * ROUNDS]], 'every request answered 200')
  t.ok(finalTokens.every((token) => headerKid(token) === KEY_2.kid), 'every client now holds a token signed with the new key')

  const cookieClient = await createAndLogIn(before)
  const byCookie = await rotated.inject({ url: '/auth/me', headers: { cookie: `accessToken=${cookieClient.token}` } })
  t.equal(byCookie.statusCode, 200, byCookie.body)
  t.match(byCookie.headers['set-cookie'], /accessToken=[^;]+;.*HttpOnly/, 'a cookie client gets the new token as a cookie')
  t.notOk(byCookie.headers[RENEWED_TOKEN_HEADER], 'not in the header')

  // The old key retired: its tokens end with "1001"; the new ones carry on.
  const { app: after } = await buildTestApp(t, { redisServer, env: keysEnv(KEY_2) })
  for (const token of finalTokens) t.equal((await after.inject({ url: '/auth/me', headers: { token } })).statusCode, 200)
  const old = await after.inject({ url: '/auth/me', headers: { token: sessions[0]?.token ?? '' } })
  t.equal(old.statusCode, 401)
  t.match(old.json(), { errorCode: '1001' }, 'a token of a removed key is a bad token')
})

t.test('tokens signed with JWT_SECRET keep working after the move to JWT_KEYS, and are renewed', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app: before } = await buildTestApp(t, { redisServer })
  const session = await createAndLogIn(before)
  t.equal(headerKid(session.token), undefined, 'JWT_SECRET tokens carry no kid')
  const { app: after } = await buildTestApp(t, {
    redisServer,
    env: keysEnv(KEY_2, { kid: 'was-jwt-secret', secret: before.config.jwtKeys[0].secret ?? '' })
  })
  const res = await after.inject({ url: '/auth/me', headers: { token: session.token } })
  t.equal(res.statusCode, 200, res.body)
  t.equal(headerKid(String(res.headers[RENEWED_TOKEN_HEADER])), KEY_2.kid, 'renewed under the new key')
  const forged = await after.inject({ url: '/auth/me', headers: { token: `${session.token.slice(0, -4)}AAAA` } })
  t.match(forged.json(), { errorCode: '1001' }, 'a kid-less token is still checked against every key')
})

t.test('the refresh strategy: access tokens move to the new key at their next refresh', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const env = { AUTH_STRATEGY: 'refresh', REFRESH_TOKEN_SECRET: randomBytes(32).toString('base64url') }
  const { app: before } = await buildTestApp(t, { redisServer, env: { ...env, ...keysEnv(KEY_1) } })
  const login = await before.inject({ method: 'POST', url: '/auth/login', payload: { account: (await createAndLogIn(before)).account, password: 'correct horse battery staple' } })
  t.equal(login.statusCode, 200, login.body)
  const { token, refreshToken } = login.json<{ token: string, refreshToken: string }>()

  const { app: rotated } = await buildTestApp(t, { redisServer, env: { ...env, ...keysEnv(KEY_2, KEY_1) } })
  const me = await rotated.inject({ url: '/auth/me', headers: { token } })
  t.equal(me.statusCode, 200, 'the access token signed with the old key still works')
  t.notOk(me.headers[RENEWED_TOKEN_HEADER], 'and is not reissued: it expires soon anyway')
  const refreshed = await rotated.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
  t.equal(refreshed.statusCode, 200, 'the refresh token survives the JWT key rotation (its own secret)')
  t.equal(headerKid(refreshed.json<{ token: string }>().token), KEY_2.kid, 'the next access token is signed with the new key')
})
