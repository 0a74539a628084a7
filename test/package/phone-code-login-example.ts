import { execFile } from 'node:child_process'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'
import { createTestDatabase } from '../helpers/database.js'
import { PROJECT_ROOT } from '../helpers/packed-project.js'
import { startServerProcess } from '../helpers/server-process.js'
import { toolEnv } from '../helpers/tool-env.js'
import { checkExampleManifest } from './example-manifest.js'
import { call, refusedSoon, type Answer } from './json-call.js'
import { startPhoneCodeLoginService, type PhoneCodeLoginService } from './phone-code-login-service.js'

// examples/phone-code-login end to end: its sources, copied into the fresh project that installed
// the packed plugin, type-checked there and run as a user runs them, beside a real auth server
// process on the same Redis and secret. A session it starts is the server's; ends made on either
// side are seen on the other.

const run = promisify(execFile)
const EXAMPLE = join('examples', 'phone-code-login')
const TSC_TIMEOUT_MS = 180_000
const POLL_MS = 10
const CODE_ATTEMPTS = 3
const CODES_PER_WINDOW = 5
const SHORT_CODE_TTL_SECONDS = 1
const MS_PER_SECOND = 1000
const STRING_USER_ID = /^usr_[A-Za-z0-9_-]{16}$/

interface Issued { result: string, token: string, userId: string, userType: string, sessionId: string }
interface SessionList { sessions: Array<{ id: string, deviceId: string | null }> }

export interface ExampleTestOptions {
  // The fresh project that installed the packed plugin, fastify and ioredis.
  project: string
  // A Redis the auth server and the example share, in a database of their own.
  redisUrl: string
}

export async function phoneCodeLoginBesideTheServer (t: Test, { project, redisUrl }: ExampleTestOptions): Promise<void> {
  const exampleDir = join(project, 'phone-code-login')
  await cp(join(PROJECT_ROOT, EXAMPLE), exampleDir, { recursive: true, filter: (source) => !/node_modules|\.tgz$/.test(source) })

  t.test('its manifest lists what its sources import, in ranges the packed versions satisfy', async (t) => {
    await checkExampleManifest(t, exampleDir, project)
  })

  const database = await createTestDatabase()
  t.teardown(database.drop)
  const shared = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: 'auth:', JWT_SECRET: TEST_JWT_SECRET }
  const exampleEnv = { ...shared, PHONE_LOGIN_KEY_PREFIX: 'phone-login:' }
  // The type-check overlaps the starts: each is a second or more of one core.
  const [, auth, example, shortLived] = await Promise.all([
    run(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', exampleDir], { timeout: TSC_TIMEOUT_MS, env: toolEnv() }),
    startServerProcess(t, { ...shared, ...(database.url === undefined ? {} : { DATABASE_URL: database.url }) }),
    startPhoneCodeLoginService(t, exampleDir, exampleEnv),
    // The same service, its codes living a second: their expiry is judged by its clock, which a
    // process of its own cannot have moved by the test.
    startPhoneCodeLoginService(t, exampleDir, { ...exampleEnv, PHONE_LOGIN_KEY_PREFIX: 'phone-login-short:', CODE_TTL_SECONDS: String(SHORT_CODE_TTL_SECONDS) })
  ])
  t.pass('its TypeScript type-checks against the packed plugin\'s types')

  // A phone number of its own per case (this Redis database is the file's alone).
  let nextPhone = 4915100000001
  const newPhone = (): string => `+${nextPhone++}`
  async function logIn (t: Test, service: PhoneCodeLoginService, phone: string, deviceId?: string): Promise<Answer<Issued>> {
    t.equal((await call(`${service.origin}/code`, { body: { phone } })).status, 200, 'a code sent')
    return await call<Issued>(`${service.origin}/login`, { body: { phone, code: await service.nextCode(phone), ...(deviceId === undefined ? {} : { deviceId }) } })
  }

  t.test('a code is asked for with the same answer, whether or not the phone has signed in before', async (t) => {
    const phone = newPhone()
    const first = await call<unknown>(`${example.origin}/code`, { body: { phone } })
    t.same({ status: first.status, body: first.body }, { status: 200, body: { result: 'success', expiresIn: 300 } })
    t.equal((await call(`${example.origin}/login`, { body: { phone, code: await example.nextCode(phone) } })).status, 200, 'signed in: the user exists now')
    const again = await call<unknown>(`${example.origin}/code`, { body: { phone } })
    t.same({ status: again.status, body: again.body }, { status: first.status, body: first.body })
  })

  t.test('a session it starts is the auth server\'s: /auth/me and /auth/sessions there, /sessions here', async (t) => {
    const phone = newPhone()
    const login = await logIn(t, example, phone, 'pixel-8')
    t.equal(login.status, 200, example.output())
    const issued = login.body
    t.same(Object.keys(issued).sort(), ['result', 'sessionId', 'token', 'userId', 'userType'], 'what POST /auth/login answers (sliding strategy)')
    t.match(issued, { result: 'success', userId: STRING_USER_ID, userType: 'user' })

    const me = await call<Record<string, unknown>>(`${auth.origin}/auth/me`, { token: issued.token })
    t.equal(me.status, 200, auth.output())
    t.match(me.body, { userId: issued.userId, userType: 'user', deviceType: null, account: phone, sessionId: issued.sessionId, authAt: Number, amr: ['sms'] },
      'the example\'s string id, unchanged, and the amr it gave')
    t.same(Object.keys(me.body).sort(), ['account', 'amr', 'authAt', 'deviceType', 'sessionId', 'userId', 'userType'], 'and nothing else')

    const there = await call<SessionList>(`${auth.origin}/auth/sessions`, { token: issued.token })
    t.match(there.body.sessions.find((session) => session.id === issued.sessionId), { deviceId: 'pixel-8' }, 'in the auth server\'s session list, with its device')
    const here = await call<SessionList>(`${example.origin}/sessions`, { token: issued.token })
    t.equal(here.status, 200)
    t.same(here.body.sessions.map((session) => session.id), there.body.sessions.map((session) => session.id), 'the same list here')
  })

  t.test('a logout on the auth server is refused by the example', async (t) => {
    const { token } = (await logIn(t, example, newPhone())).body
    t.equal((await call(`${example.origin}/sessions`, { token })).status, 200, 'cached here first')
    t.equal((await call(`${auth.origin}/auth/logout`, { method: 'POST', token })).status, 200)
    const refused = await refusedSoon(async () => await call(`${example.origin}/sessions`, { token }))
    t.equal(refused.status, 401)
    t.match(refused.body, { code: 0, errorCode: '1002', reason: 'logout' })
  })

  t.test('POST /logout on the example ends the session on the auth server', async (t) => {
    const { token } = (await logIn(t, example, newPhone())).body
    t.equal((await call(`${auth.origin}/auth/me`, { token })).status, 200, 'cached there first')
    const ended = await call<unknown>(`${example.origin}/logout`, { method: 'POST', token })
    t.same({ status: ended.status, body: ended.body }, { status: 200, body: { result: 'success' } })
    const refused = await refusedSoon(async () => await call(`${auth.origin}/auth/me`, { token }))
    t.equal(refused.status, 401)
    t.match(refused.body, { code: 0, errorCode: '1002', reason: 'logout' })
  })

  t.test('POST /logout-everywhere on the example ends every session of the user on the auth server', async (t) => {
    const phone = newPhone()
    const { body: first } = await logIn(t, example, phone)
    const { body: second } = await logIn(t, example, phone)
    t.equal(second.userId, first.userId, 'one user, two sessions')
    for (const { token } of [first, second]) t.equal((await call(`${auth.origin}/auth/me`, { token })).status, 200, 'cached there first')
    const ended = await call<unknown>(`${example.origin}/logout-everywhere`, { method: 'POST', token: first.token })
    t.same({ status: ended.status, body: ended.body }, { status: 200, body: { result: 'success', revoked: 2 } })
    for (const { token } of [first, second]) {
      const refused = await refusedSoon(async () => await call(`${auth.origin}/auth/me`, { token }))
      t.equal(refused.status, 401)
      t.match(refused.body, { code: 0, errorCode: '1002', reason: 'logout_all' })
    }
  })

  t.test('three wrong codes kill the code: the right one is refused after them', async (t) => {
    const phone = newPhone()
    t.equal((await call(`${example.origin}/code`, { body: { phone } })).status, 200)
    const code = await example.nextCode(phone)
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0')
    for (let attempt = 1; attempt <= CODE_ATTEMPTS; attempt++) {
      const refused = await call(`${example.origin}/login`, { body: { phone, code: wrong } })
      t.equal(refused.status, 401)
      t.match(refused.body, { code: 0, errorCode: '1010' }, `wrong code ${attempt}: 1010, the server's wrong credentials`)
    }
    const late = await call(`${example.origin}/login`, { body: { phone, code } })
    t.equal(late.status, 401)
    t.match(late.body, { code: 0, errorCode: '1010' })
  })

  t.test('a code expires', async (t) => {
    const phone = newPhone()
    t.equal((await call(`${shortLived.origin}/code`, { body: { phone } })).status, 200)
    const sentAt = Date.now()
    const code = await shortLived.nextCode(phone)
    // Its life ends at the latest a TTL after the answer came, on the clock both processes read.
    while (Date.now() < sentAt + SHORT_CODE_TTL_SECONDS * MS_PER_SECOND) await sleep(POLL_MS)
    const refused = await call(`${shortLived.origin}/login`, { body: { phone, code } })
    t.equal(refused.status, 401)
    t.match(refused.body, { code: 0, errorCode: '1010' })
  })

  t.test('a phone is sent five codes in a window; the sixth is 429 "1029" with Retry-After', async (t) => {
    const phone = newPhone()
    for (let i = 0; i < CODES_PER_WINDOW; i++) t.equal((await call(`${example.origin}/code`, { body: { phone } })).status, 200)
    const refused = await call(`${example.origin}/code`, { body: { phone } })
    t.equal(refused.status, 429)
    t.match(refused.body, { code: 0, errorCode: '1029' })
    t.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After')
  })

  t.test('refusals of input in the server\'s shape: 400 "1400" for a body, 404 "1404" for a route', async (t) => {
    const refused = await call(`${example.origin}/code`, { body: { phone: '0151 1234 5678' } })
    t.equal(refused.status, 400)
    t.match(refused.body, { code: 0, errorCode: '1400' }, 'a phone not in E.164')
    const malformed = await fetch(`${example.origin}/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"phone":' })
    t.equal(malformed.status, 400)
    t.match(await malformed.json(), { code: 0, errorCode: '1400' }, 'malformed JSON')
    const unknown = await call(`${example.origin}/nowhere`)
    t.equal(unknown.status, 404)
    t.match(unknown.body, { code: 0, errorCode: '1404' })
  })
}
