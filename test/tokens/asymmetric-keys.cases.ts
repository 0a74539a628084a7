import { createHmac, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalJWKSet, jwtVerify } from 'jose'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { buildTestApp } from '../helpers/build-app.js'
import { configError } from '../helpers/config-error.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn } from '../helpers/sessions.js'

const REFRESH = { AUTH_STRATEGY: 'refresh', REFRESH_TOKEN_SECRET: randomBytes(32).toString('base64url') }
const JWKS_PATH = '/.well-known/jwks.json'

interface KeyEntry { kid: string, privateKey: string, signs?: false }

function ed25519Pem (): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

function p256Pem (): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

function publicPem (privatePem: string): string {
  return createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString()
}

function keysEnv (algorithm: 'EdDSA' | 'ES256', ...keys: KeyEntry[]): Record<string, string> {
  return { ACCESS_TOKEN_ALG: algorithm, JWT_KEYS: JSON.stringify(keys) }
}

function partsOf (token: string): { header: Record<string, unknown>, payload: string } {
  const [header = '', payload = ''] = token.split('.')
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>, payload }
}

// The same claims under `alg: HS256`, HMAC'd with the key an attacker can read: the public key.
function hs256WithSecret (token: string, secret: string): string {
  const { header, payload } = partsOf(token)
  const forgedHeader = Buffer.from(JSON.stringify({ ...header, alg: 'HS256' })).toString('base64url')
  const signature = createHmac('sha256', secret).update(`${forgedHeader}.${payload}`).digest('base64url')
  return `${forgedHeader}.${payload}.${signature}`
}

t.test('ACCESS_TOKEN_ALG=EdDSA or ES256: JWT_KEYS entries carry private keys; mistakes named without key material', async (t) => {
  const ed = ed25519Pem()
  const ec = p256Pem()
  const dir = mkdtempSync(join(tmpdir(), 'auth-keys-'))
  const edKeys = loadConfig({ DATA_DIR: dir, ...keysEnv('EdDSA', { kid: 'ed-1', privateKey: ed }) }).jwtKeys
  t.match(edKeys, [{ kid: 'ed-1', privateKey: /^-----BEGIN PRIVATE KEY-----/, publicKey: publicPem(ed) }], 'the public key is derived')
  t.equal(loadConfig({ DATA_DIR: dir, ...keysEnv('ES256', { kid: 'ec-1', privateKey: ec }) }).jwtKeys[0].publicKey, publicPem(ec))
  t.equal(loadConfig({ DATA_DIR: dir, ACCESS_TOKEN_ALG: 'HS256', JWT_SECRET: randomBytes(32).toString('hex') }).ACCESS_TOKEN_ALG, 'HS256')
  t.equal(loadConfig({ DATA_DIR: dir }).ACCESS_TOKEN_ALG, 'HS256', 'HS256 by default')

  const secret = randomBytes(32).toString('base64url')
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const brokenPem = ed.replace(/[A-Za-z0-9+/]{20}/, 'AAAAAAAAAAAAAAAAAAAA')
  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ['a secret with EdDSA', { ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([{ kid: 'k', secret }]) },
      /JWT_KEYS\[0\] \(kid "k"\) has a "secret", but ACCESS_TOKEN_ALG=EdDSA signs with a private key/],
    ['JWT_SECRET with ES256', { ACCESS_TOKEN_ALG: 'ES256', JWT_SECRET: secret }, /ACCESS_TOKEN_ALG=ES256 needs JWT_KEYS with private keys/],
    ['no keys with EdDSA, even in development', { ACCESS_TOKEN_ALG: 'EdDSA' }, /ACCESS_TOKEN_ALG=EdDSA needs JWT_KEYS/],
    ['not a PEM', keysEnv('EdDSA', { kid: 'k', privateKey: 'not a key at all, but long enough to look like one' }),
      /JWT_KEYS\[0\] \(kid "k"\) has a "privateKey" that is not a readable PEM key/],
    ['a damaged PEM', keysEnv('EdDSA', { kid: 'k', privateKey: brokenPem }), /"privateKey" that is not a readable PEM key/],
    ['a P-256 key for EdDSA', keysEnv('EdDSA', { kid: 'k', privateKey: ec }), /type ec \(prime256v1\); ACCESS_TOKEN_ALG=EdDSA needs an Ed25519 key/],
    ['an Ed25519 key for ES256', keysEnv('ES256', { kid: 'k', privateKey: ed }), /type ed25519; ACCESS_TOKEN_ALG=ES256 needs an EC key on P-256/],
    ['an RSA key', keysEnv('ES256', { kid: 'k', privateKey: rsa }), /type rsa; ACCESS_TOKEN_ALG=ES256/],
    ['a private key in "publicKey"', { ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([{ kid: 'k', publicKey: ed }]) }, /private key in "publicKey"/],
    ['both halves', { ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([{ kid: 'k', privateKey: ed, publicKey: publicPem(ed) }]) }, /both "privateKey" and "publicKey"/],
    ['the server with only the signing key\'s public half', { ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([{ kid: 'k', publicKey: publicPem(ed) }]) },
      /JWT_KEYS\[0\] \(kid "k"\) signs, but has only a "publicKey"/],
    ['a private key with HS256', { JWT_KEYS: JSON.stringify([{ kid: 'k', privateKey: ed }]) }, /ACCESS_TOKEN_ALG=HS256 does not use/],
    ['an unknown algorithm', { ACCESS_TOKEN_ALG: 'RS256', JWT_KEYS: JSON.stringify([{ kid: 'k', privateKey: rsa }]) }, /ACCESS_TOKEN_ALG must be equal to one of the allowed values/]
  ]
  const keyBody = (pem: string): string[] => pem.split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'))
  const material = [...keyBody(ed), ...keyBody(ec), ...keyBody(rsa), ...keyBody(publicPem(ed)), secret]
  for (const [what, env, message] of refused) {
    const error = configError(env)
    t.match(error?.message, message, what)
    t.notOk(material.some((line) => (error?.message ?? '').includes(line)), `${what}: no key material in the message`)
  }
  t.match(configError({ ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([{ kid: 'new', privateKey: ed25519Pem() }, { kid: 'old', publicKey: publicPem(ed) }]) }), undefined,
    'an older key may be listed by its public key alone')
})

t.test('EdDSA and ES256 access tokens: accepted by the check, published as a JWK Set', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())

  for (const [algorithm, pem, jwkShape] of [
    ['EdDSA', ed25519Pem(), { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }],
    ['ES256', p256Pem(), { kty: 'EC', crv: 'P-256', alg: 'ES256', y: /^[\w-]{43}$/ }]
  ] as const) {
    t.test(algorithm, async (t) => {
      const coming = { kid: `${algorithm}-coming`, privateKey: algorithm === 'EdDSA' ? ed25519Pem() : p256Pem(), signs: false as const }
      const older = { kid: `${algorithm}-older`, privateKey: algorithm === 'EdDSA' ? ed25519Pem() : p256Pem() }
      const { app } = await buildTestApp(t, { redisServer, env: { ...REFRESH, ...keysEnv(algorithm, coming, { kid: `${algorithm}-now`, privateKey: pem }, older) } })
      const session = await createAndLogIn(app)
      t.same(partsOf(session.token).header, { alg: algorithm, typ: 'JWT', kid: `${algorithm}-now` }, 'signed with the signing key, named by kid')
      const me = await app.inject({ url: '/auth/me', headers: { token: session.token } })
      t.equal(me.statusCode, 200, me.body)
      const verify = await app.inject({ url: '/auth/verify', headers: { authorization: `Bearer ${session.token}` } })
      t.equal(verify.statusCode, 204, verify.body)
      t.equal(verify.headers['x-user-id'], String(session.userId))

      const jwks = await app.inject({ url: JWKS_PATH })
      t.equal(jwks.statusCode, 200)
      t.match(jwks.headers['cache-control'], /^public, max-age=300$/, 'cacheable for a few minutes')
      t.match(jwks.headers['content-type'], /^application\/json/)
      const { keys } = jwks.json<{ keys: Array<Record<string, unknown>> }>()
      t.same(keys.map((key) => key.kid), [coming.kid, `${algorithm}-now`, older.kid], 'every listed key, coming and older ones too, in order')
      for (const key of keys) {
        t.match(key, { ...jwkShape, use: 'sig', x: /^[\w-]{43}$/ }, `${String(key.kid)}: a public ${algorithm} JWK`)
        t.notOk('d' in key, 'never the private part')
      }
      const offline = await jwtVerify(session.token, createLocalJWKSet(jwks.json()), { algorithms: [algorithm], requiredClaims: ['exp'] })
      t.equal(offline.payload.sid, session.sessionId, 'jose verifies the token with the set alone')
      t.same(createPublicKey({ key: keys[1] as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }), publicPem(pem),
        'the published key is the signing key\'s public half')

      const openApi = await app.inject({ url: '/docs/json' })
      t.match(openApi.json(), { paths: { [JWKS_PATH]: { get: { responses: { 200: { content: { 'application/json': { schema: { properties: { keys: { type: 'array' } } } } } } } } } } },
        'documented in the OpenAPI document with its schema')

      // Algorithm confusion: the public key, which anyone may read, used as an HS256 secret.
      for (const [what, secret] of [['the SPKI PEM', publicPem(pem)], ['the JWK x', String(keys[1]?.x)], ['the JWK Set', jwks.body]] as const) {
        const forged = hs256WithSecret(session.token, secret)
        const answer = await app.inject({ url: '/auth/me', headers: { token: forged } })
        t.equal(answer.statusCode, 401, `HS256 keyed with ${what}: refused`)
        t.match(answer.json(), { errorCode: '1001' })
        t.equal((await app.inject({ url: '/auth/verify', headers: { token: forged } })).statusCode, 401, `and by /auth/verify (${what})`)
      }
      const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: `${algorithm}-now` })).toString('base64url')}.${partsOf(session.token).payload}.`
      t.equal((await app.inject({ url: '/auth/me', headers: { token: noneAlg } })).statusCode, 401, 'alg none: refused')
    })
  }

  t.test('a key of the wrong algorithm, or not listed, is refused', async (t) => {
    const ed = ed25519Pem()
    const { app: edApp } = await buildTestApp(t, { redisServer, env: { ...REFRESH, ...keysEnv('EdDSA', { kid: 'k', privateKey: ed }) } })
    const { app: otherEd } = await buildTestApp(t, { redisServer, env: { ...REFRESH, ...keysEnv('EdDSA', { kid: 'k', privateKey: ed25519Pem() }) } })
    const { app: esApp } = await buildTestApp(t, { redisServer, env: { ...REFRESH, ...keysEnv('ES256', { kid: 'k', privateKey: p256Pem() }) } })
    const edToken = (await createAndLogIn(edApp)).token
    t.equal((await otherEd.inject({ url: '/auth/me', headers: { token: edToken } })).statusCode, 401, 'another Ed25519 key under the same kid')
    t.equal((await esApp.inject({ url: '/auth/me', headers: { token: edToken } })).statusCode, 401, 'an EdDSA token where ES256 is pinned')
    t.equal((await edApp.inject({ url: '/auth/me', headers: { token: (await createAndLogIn(esApp)).token } })).statusCode, 401, 'and the other way')
  })

  t.test('no JWK Set with HS256, nor for sliding-strategy tokens (no exp)', async (t) => {
    const { app: hs256 } = await buildTestApp(t, { redisServer, env: REFRESH })
    const hs = await hs256.inject({ url: JWKS_PATH })
    t.equal(hs.statusCode, 404, 'HS256: a secret is never published')
    t.notMatch(hs.body, /secret|kid/)

    const { app: sliding } = await buildTestApp(t, { redisServer, env: keysEnv('EdDSA', { kid: 'k', privateKey: ed25519Pem() }) })
    t.equal((await sliding.inject({ url: JWKS_PATH })).statusCode, 404, 'sliding strategy: nothing to verify offline')
    const session = await createAndLogIn(sliding)
    t.equal(partsOf(session.token).header.alg, 'EdDSA', 'sliding tokens are signed with the private key too')
    t.equal((await sliding.inject({ url: '/auth/me', headers: { token: session.token } })).statusCode, 200)
    t.equal((await sliding.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })).statusCode, 200)
    t.match((await sliding.inject({ url: '/auth/me', headers: { token: session.token } })).json(), { errorCode: '1002' },
      'and still checked against their session: a logout ends them at once')
  })
})
