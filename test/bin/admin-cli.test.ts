import { createHash, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { eventSigningKey, SIGNATURE_FIELD, verifyEventSignature } from '../../src/events/event-signature.js'
import { EVENT_FIELD } from '../../src/events/event-stream.js'
import { loadConfig } from '../../src/config/load-config.js'
import { ServiceKeyRing } from '../../src/service-keys/service-key-ring.js'
import { reachablePostgresUrl } from '../helpers/database.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { streamedEvents } from '../helpers/session-events.js'
import { freePort } from '../helpers/free-port.js'
import { createUser, logIn, me, startSession, TEST_PASSWORD } from '../helpers/sessions.js'
import { enableTotp, passwordStep } from '../helpers/second-factor.js'
import { TestClock } from '../helpers/test-clock.js'
import { exitStatus, QUICK_FAILURE_MS, runCli, tempDir, UNREACHABLE_DATABASE_URL } from './run-cli.js'

t.test('bad input exits 2 with a message', async (t) => {
  const dataDir = join(tempDir(t), 'never-created')
  const env = { DATA_DIR: dataDir, DATABASE_URL: UNREACHABLE_DATABASE_URL, REDIS_URL: 'redis://127.0.0.1:1' }

  const [short, none, unknown, badUser, badOwnUser, controlCharacter, formatCharacter] = await Promise.all([
    runCli(['create-user', '--account', 'a@example.com'], env, 'seven77\n'),
    runCli([], env),
    runCli(['frobnicate'], env),
    runCli(['sessions', '--user', 'a b'], env),
    runCli(['set-role', '--user', 'abc', '--role', 'user'], env),
    runCli(['create-user', '--account', 'a\u0007@example.com'], env, `${TEST_PASSWORD}\n`),
    runCli(['create-user', '--account', 'moc.elpmaxe@\u202eada'], env, `${TEST_PASSWORD}\n`)
  ])

  t.equal(short.code, 2, exitStatus(short))
  t.match(short.stderr, /password must be 8 to 256 characters/, 'says how long the password must be')
  t.notOk(existsSync(dataDir), 'refused before touching any database')

  t.equal(none.code, 2, exitStatus(none))
  t.match(none.stderr, /no command given/, 'says no command was given')
  t.match(none.stderr, /Usage:/, 'prints the usage')

  t.equal(unknown.code, 2, exitStatus(unknown))
  t.match(unknown.stderr, /unknown command "frobnicate"/, 'names the unknown command')
  t.match(unknown.stderr, /Usage:/, 'prints the usage')

  t.equal(badUser.code, 2, exitStatus(badUser))
  t.match(badUser.stderr, /--user needs a user id: a number, or 1 to 64 characters A-Z a-z 0-9 _ -/, 'says what a session\'s user id is')
  t.equal(badOwnUser.code, 2, exitStatus(badOwnUser))
  t.match(badOwnUser.stderr, /--user needs a numeric user id/, 'set-role: the users table has numeric ids only')

  t.equal(controlCharacter.code, 2, exitStatus(controlCharacter))
  t.match(controlCharacter.stderr, /--account must not contain control or format characters/, 'refuses a control character in the account')
  t.equal(formatCharacter.code, 2, exitStatus(formatCharacter))
  t.match(formatCharacter.stderr, /--account must not contain control or format characters/, 'and a format character (U+202E)')
})

t.test('sessions and revoke work on Redis alone', async (t) => {
  const { app, config } = await buildTestApp(t, { databaseUrl: await reachablePostgresUrl() })
  const user = await createUser(app)
  const phone = await logIn(app, user, 'phone')
  const laptop = await logIn(app, user, 'laptop')
  const untouchedDir = join(tempDir(t), 'never-created')
  const env = {
    REDIS_URL: config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    DATABASE_URL: UNREACHABLE_DATABASE_URL,
    DATA_DIR: untouchedDir
  }
  const userArgs = ['--user', String(user.userId)]

  const listed = await runCli(['sessions', ...userArgs], env)
  t.equal(listed.code, 0, exitStatus(listed))
  const views = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string, deviceId: string })
  t.same(views.map((view) => [view.deviceId, view.id]).sort(), [['laptop', laptop.sessionId], ['phone', phone.sessionId]],
    'one JSON line per session')
  t.notOk(listed.stdout.includes(phone.token) || listed.stdout.includes(laptop.token), 'no token text')

  const byDevice = await runCli(['revoke', ...userArgs, '--device', 'phone'], env)
  t.equal(byDevice.code, 0, exitStatus(byDevice))
  t.match(byDevice.stdout, /^revoked 1 /, 'one session revoked')
  const phoneAfter = await me(app, phone.token)
  t.equal(phoneAfter.statusCode, 401, 'the phone token is refused')
  t.match(phoneAfter.json(), { errorCode: '1002', reason: 'admin' }, 'ended by an admin')
  t.equal((await me(app, laptop.token)).statusCode, 200, 'the laptop session lives on')

  const rest = await runCli(['revoke', ...userArgs], env)
  t.equal(rest.code, 0, exitStatus(rest))
  t.match(rest.stdout, /^revoked 1 /, 'the remaining session revoked')
  const laptopAfter = await me(app, laptop.token)
  t.equal(laptopAfter.statusCode, 401, 'the laptop token is refused')
  t.match(laptopAfter.json(), { errorCode: '1002', reason: 'admin' }, 'ended by an admin')

  const empty = await runCli(['sessions', ...userArgs], env)
  t.equal(empty.code, 0, exitStatus(empty))
  t.match(empty.stdout, /has no sessions/, 'nothing left to list')
  t.notOk(existsSync(untouchedDir), 'no embedded database was opened')

  // A user of another user store (issue 25): a string id names its sessions alike.
  const uuid = randomUUID()
  const started = await startSession(app, uuid, { deviceId: 'tablet' })
  const uuidListed = await runCli(['sessions', '--user', uuid], env)
  t.equal(uuidListed.code, 0, exitStatus(uuidListed))
  t.match(JSON.parse(uuidListed.stdout.trim()), { id: started.sessionId, deviceId: 'tablet' }, 'a UUID user\'s session listed')
  const uuidRevoked = await runCli(['revoke', '--user', uuid], env)
  t.equal(uuidRevoked.code, 0, exitStatus(uuidRevoked))
  t.match(uuidRevoked.stdout, new RegExp(`^revoked 1 session\\(s\\) of user ${uuid}`), 'and revoked')
  t.match((await me(app, started.token)).json(), { errorCode: '1002', reason: 'admin' }, 'the UUID user\'s session ended')
})

t.test('ban and unban work on Redis alone, and sessions shows the ban', async (t) => {
  const { app, config } = await buildTestApp(t, { databaseUrl: await reachablePostgresUrl(), env: { EVENTS_STREAM: 'auth-events' } })
  const user = await createUser(app)
  const phone = await logIn(app, user, 'phone')
  const env = {
    REDIS_URL: config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    DATABASE_URL: UNREACHABLE_DATABASE_URL,
    DATA_DIR: join(tempDir(t), 'never-created'),
    EVENTS_STREAM: 'auth-events'
  }
  const userArgs = ['--user', String(user.userId)]
  const until = new Date(Date.now() + 60 * 60 * 1000).toISOString()

  const refused = await Promise.all([
    runCli(['ban', ...userArgs], env),
    runCli(['ban', ...userArgs, '--reason', 'spam', '--until', new Date(Date.now() - 1000).toISOString()], env),
    runCli(['ban', ...userArgs, '--reason', 'line\nbreak'], env)
  ])
  t.same(refused.map((result) => result.code), [2, 2, 2], 'no reason, an until in the past, a control character: usage errors')
  t.match(refused[0]?.stderr, /ban needs --reason/)
  t.match(refused[1]?.stderr, /--until must be an ISO 8601 time in the future/)
  t.equal((await me(app, phone.token)).statusCode, 200, 'and nothing was ended')

  const banned = await runCli(['ban', ...userArgs, '--reason', 'spam', '--until', until], env)
  t.equal(banned.code, 0, exitStatus(banned))
  t.equal(banned.stdout.trim(), `banned user ${user.userId} until ${until}; ended 1 session(s)`)
  t.match((await me(app, phone.token)).json(), { errorCode: '1002', reason: 'banned' }, 'the session ended with reason banned')
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: TEST_PASSWORD } })
  t.match(login.json(), { errorCode: '1011', reason: 'banned', until }, 'the server refuses the login')
  const listed = await runCli(['sessions', ...userArgs], env)
  t.equal(listed.stdout.trim().split('\n')[0], `user ${user.userId} is banned until ${until}: spam`, 'sessions shows the ban first')

  const lifted = await runCli(['unban', ...userArgs], env)
  t.equal(lifted.stdout.trim(), `lifted the ban on user ${user.userId}`)
  t.equal((await runCli(['unban', ...userArgs], env)).stdout.trim(), `user ${user.userId} was not banned`)
  t.equal((await logIn(app, user, 'phone')).response.statusCode, 200, 'the user signs in again')

  const told = (await streamedEvents(app)).filter((event) => event.type.startsWith('user.') || event.type === 'session.ended')
  t.match(told, [
    { type: 'user.banned', userId: user.userId, reason: 'spam', actor: 'cli' },
    { type: 'session.ended', userId: user.userId, sessionId: phone.sessionId, reason: 'banned', actor: 'cli' },
    { type: 'user.unbanned', userId: user.userId, actor: 'cli' }
  ], 'told with the actor "cli"')
  t.equal(told.length, 3, 'the second unban lifted nothing and told nothing')
})

const sharedPostgresUrl = await reachablePostgresUrl()
const SET_ROLE_SKIP = sharedPostgresUrl === undefined
  ? 'set-role needs a database the CLI and the test server share: PostgreSQL does not answer'
  : false

t.test('set-role: a demotion ends every session of the user, a promotion applies at the next login', { skip: SET_ROLE_SKIP }, async (t) => {
  const { app, config } = await buildTestApp(t, { databaseUrl: sharedPostgresUrl })
  const env = {
    REDIS_URL: config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    DATABASE_URL: config.DATABASE_URL ?? ''
  }
  const chief = await createUser(app, 'admin')
  const phone = await logIn(app, chief, 'phone')
  const laptop = await logIn(app, chief, 'laptop')
  const adminList = async (token: string): Promise<number> =>
    (await app.inject({ method: 'GET', url: `/admin/users/${chief.userId}/sessions`, headers: { token } })).statusCode
  t.equal(await adminList(phone.token), 200, 'an admin session reaches the admin routes')

  const demoted = await runCli(['set-role', '--user', String(chief.userId), '--role', 'user'], env)
  t.equal(demoted.code, 0, exitStatus(demoted))
  t.match(demoted.stdout, /is now user \(was admin\); ended 2 session\(s\)/, 'says what changed and how many sessions ended')
  t.match(await app.users.findById(chief.userId), { userType: 'user' }, 'the role is changed in the database')
  for (const [device, session] of [['phone', phone], ['laptop', laptop]] as const) {
    const after = await me(app, session.token)
    t.equal(after.statusCode, 401, `the ${device} session is refused`)
    t.match(after.json(), { errorCode: '1002', reason: 'revoked' }, `the ${device} session ended with reason "revoked"`)
  }
  const relogin = await logIn(app, chief)
  t.match(relogin.response.json(), { userType: 'user' }, 'a new login is an ordinary user')
  t.equal(await adminList(relogin.token), 403, 'and is refused on the admin routes')

  const promoted = await runCli(['set-role', '--user', String(chief.userId), '--role', 'admin'], env)
  t.equal(promoted.code, 0, exitStatus(promoted))
  t.match(promoted.stdout, /is now admin \(was user\); the role applies from the next login/, 'a promotion says when it applies')
  t.equal((await me(app, relogin.token)).statusCode, 200, 'a promotion ends no session')
  t.equal(await adminList(relogin.token), 403, 'the session keeps the role it was created with')
  t.equal(await adminList((await logIn(app, chief)).token), 200, 'the next login is an admin')

  const unknown = await runCli(['set-role', '--user', '999999', '--role', 'user'], env)
  t.equal(unknown.code, 1, exitStatus(unknown))
  t.match(unknown.stderr, /no user with id 999999/, 'an unknown user is named')
  const badRole = await runCli(['set-role', '--user', String(chief.userId), '--role', 'root'], env)
  t.equal(badRole.code, 2, exitStatus(badRole))
  t.match(badRole.stderr, /--role must be user or admin/, 'a bad role is a usage error')
})

t.test('set-role, revoke and keys tell session events with the actor "cli", to EVENTS_STREAM and the audit log', { skip: SET_ROLE_SKIP }, async (t) => {
  const stream = { EVENTS_STREAM: 'auth-events' }
  const { app, config } = await buildTestApp(t, { databaseUrl: sharedPostgresUrl, env: stream })
  const generated = JSON.parse((await runCli(['keys', 'generate', '--kid', 'listed-1'], { DATA_DIR: join(tempDir(t), 'unused') })).stdout) as object
  const env = {
    REDIS_URL: config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    DATABASE_URL: config.DATABASE_URL ?? '',
    DATA_DIR: join(tempDir(t), 'never-created'),
    JWT_KEYS: JSON.stringify([generated]),
    ...stream
  }
  const chief = await createUser(app, 'admin')
  await logIn(app, chief, 'phone')
  const told: Array<[string, string]> = []
  async function cli (args: string[], extraEnv: Record<string, string> = {}): Promise<void> {
    const result = await runCli(args, { ...env, ...extraEnv })
    t.equal(result.code, 0, exitStatus(result))
    const audit = result.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { logger?: string, type?: string, actor?: string })
    for (const line of audit.filter((entry) => entry.logger === 'audit')) told.push([line.type ?? '', line.actor ?? ''])
  }
  await cli(['set-role', '--user', String(chief.userId), '--role', 'user'])
  await cli(['set-role', '--user', String(chief.userId), '--role', 'admin'])
  await cli(['set-role', '--user', String(chief.userId), '--role', 'admin'])
  await logIn(app, chief, 'laptop')
  await cli(['revoke', '--user', String(chief.userId), '--device', 'laptop'])
  await cli(['keys', 'generate', '--kid', 'key-9', '--alg', 'EdDSA'])
  await cli(['keys', 'list'])

  const byCli = (await streamedEvents(app)).filter((event) => !['login.succeeded', 'session.created'].includes(event.type))
  t.same(byCli.map((event) => [event.type, event.reason, event.userId, event.actor]), [
    ['session.ended', 'revoked', chief.userId, 'cli'],
    ['user.role_changed', 'user', chief.userId, 'cli'],
    ['user.role_changed', 'admin', chief.userId, 'cli'],
    ['session.ended', 'admin', chief.userId, 'cli'],
    ['keys.generated', 'EdDSA', null, 'cli'],
    ['keys.listed', 'list', null, 'cli']
  ], 'each action, in order, by the actor "cli" (setting the role a user already has changes nothing and tells nothing)')
  t.same(told, byCli.map((event) => [event.type, 'cli']), 'the same events as audit lines on stderr')
  const [demotion] = byCli
  t.match(demotion?.sessionId, /^[\w-]{22,}$/, 'the ended session is named')
  t.notOk(JSON.stringify(byCli).includes('PRIVATE KEY'), 'no key material in the events')
  const [unsignedEntry] = await app.redis.xrevrange(`${config.REDIS_KEY_PREFIX}auth-events`, '+', '-', 'COUNT', 1)
  t.notOk(unsignedEntry?.[1].includes(SIGNATURE_FIELD), 'without EVENTS_WEBHOOK_SECRET the CLI signs nothing')

  // With the webhook's secret, as the server has it, the CLI signs its entries the server's way:
  // the webhook posts only entries that verify.
  const webhookSecret = 'a-webhook-secret-of-the-deployment-0123456789'
  await cli(['keys', 'list'], { EVENTS_WEBHOOK_SECRET: webhookSecret })
  const [signedEntry] = await app.redis.xrevrange(`${config.REDIS_KEY_PREFIX}auth-events`, '+', '-', 'COUNT', 1)
  const fields = signedEntry?.[1] ?? []
  const field = (name: string): string => fields[fields.indexOf(name) + 1] ?? ''
  t.ok(verifyEventSignature(eventSigningKey(webhookSecret), field(EVENT_FIELD), field(SIGNATURE_FIELD)), 'a CLI entry verifies with the key the server derives')

  // A stream Redis refuses to append to (the key holds a string): the CLI says so and exits 1.
  await app.redis.set(`${config.REDIS_KEY_PREFIX}not-a-stream`, 'a string')
  const unrecorded = await runCli(['keys', 'generate'], { ...env, EVENTS_STREAM: 'not-a-stream' })
  t.equal(unrecorded.code, 1, exitStatus(unrecorded))
  t.match(unrecorded.stderr, /its event could not be added to EVENTS_STREAM/, 'says the event was not recorded')
  t.equal(unrecorded.stdout, '', 'and hands out no key the trail does not know of')
})

t.test('session commands fail fast and say so when Redis is unreachable', async (t) => {
  const hostAndPort = `127.0.0.1:${await freePort()}`
  const result = await runCli(['sessions', '--user', '1'], {
    REDIS_URL: `redis://:cli-secret-password@${hostAndPort}`,
    DATABASE_URL: UNREACHABLE_DATABASE_URL,
    DATA_DIR: join(tempDir(t), 'never-created')
  }, '', 2 * QUICK_FAILURE_MS)
  t.equal(result.signal, null, 'exits by itself instead of hanging')
  t.equal(result.code, 1, exitStatus(result))
  t.match(result.stderr, /Redis/, 'names Redis')
  t.match(result.stderr, hostAndPort, 'names the Redis host it tried')
  t.notMatch(result.stderr, /cli-secret-password/, 'never prints the password in REDIS_URL')
  t.ok(result.elapsedMs < QUICK_FAILURE_MS, `fails within a few seconds (${result.elapsedMs} ms)`)
})

t.test('keys generate prints a JWT_KEYS entry; keys list names keys by kid and fingerprint, never by secret', async (t) => {
  const env = { DATA_DIR: join(tempDir(t), 'never-created') }
  const generated = await runCli(['keys', 'generate', '--kid', 'key-2'], env)
  t.equal(generated.code, 0, exitStatus(generated))
  const entry = JSON.parse(generated.stdout) as { kid: string, secret: string }
  t.equal(entry.kid, 'key-2', 'the kid asked for')
  t.ok(entry.secret.length >= 32, 'a secret JWT_KEYS accepts')
  t.match(generated.stderr, /"signs": false on every instance first/, 'how to roll it out, on stderr')
  const other = await runCli(['keys', 'generate'], env)
  t.match(other.stdout, /^\{"kid":"\d{4}-\d{2}-\d{2}-[0-9a-f]{6}","secret":"[\w-]{64}"\}\n$/, 'a dated kid by default')

  const old = JSON.parse(other.stdout) as { kid: string, secret: string }
  const listed = await runCli(['keys', 'list'], { ...env, JWT_KEYS: JSON.stringify([{ ...entry, signs: false }, old]) })
  t.equal(listed.code, 0, exitStatus(listed))
  const lines = listed.stdout.trim().split('\n')
  t.match(lines[0], /^key-2\tsha256:[0-9a-f]{12}\tcoming/, 'the coming key')
  t.match(lines[1], new RegExp(`^${old.kid}\\tsha256:[0-9a-f]{12}\\tsigns$`), 'the signing key')
  t.notOk(listed.stdout.includes(entry.secret) || listed.stdout.includes(old.secret), 'no secret printed')
})

t.test('keys generate --alg EdDSA|ES256 prints a private key entry; keys public prints the list a verifying service needs', async (t) => {
  const dataDir = join(tempDir(t), 'never-created')
  const env = { DATA_DIR: dataDir }
  const [ed, es, older, badAlg] = await Promise.all([
    runCli(['keys', 'generate', '--alg', 'EdDSA', '--kid', 'ed-2'], env),
    runCli(['keys', 'generate', '--alg', 'ES256'], env),
    runCli(['keys', 'generate'], { ...env, ACCESS_TOKEN_ALG: 'EdDSA' }),
    runCli(['keys', 'generate', '--alg', 'RS256'], env)
  ])
  t.equal(ed.code, 0, exitStatus(ed))
  const edEntry = JSON.parse(ed.stdout) as { kid: string, privateKey: string }
  t.same(Object.keys(edEntry), ['kid', 'privateKey'], 'an entry with a private key, no secret')
  t.match(edEntry.privateKey, /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8 PEM')
  t.match(ed.stderr, /Set ACCESS_TOKEN_ALG=EdDSA/)
  t.match(JSON.parse(es.stdout), { kid: /^\d{4}-\d{2}-\d{2}-[0-9a-f]{6}$/, privateKey: /^-----BEGIN PRIVATE KEY-----/ })
  t.match(JSON.parse(older.stdout), { privateKey: /^-----BEGIN PRIVATE KEY-----/ }, 'the algorithm defaults to ACCESS_TOKEN_ALG')
  t.equal(badAlg.code, 2, exitStatus(badAlg))
  t.match(badAlg.stderr, /--alg must be one of HS256, EdDSA, ES256/)

  const olderEntry = JSON.parse(older.stdout) as { kid: string, privateKey: string }
  const keysEnv = { ...env, ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([{ ...edEntry, signs: false }, olderEntry]) }
  const [listed, published, wrongAlg, hs256] = await Promise.all([
    runCli(['keys', 'list'], keysEnv),
    runCli(['keys', 'public'], keysEnv),
    runCli(['keys', 'list'], { ...keysEnv, ACCESS_TOKEN_ALG: 'ES256' }),
    runCli(['keys', 'public'], env)
  ])
  t.equal(listed.code, 0, exitStatus(listed))
  t.match(listed.stdout, /^ed-2\tsha256:[0-9a-f]{12}\tcoming/, 'the coming key, by the fingerprint of its public key')
  const publicList = JSON.parse(published.stdout) as Array<{ kid: string, publicKey: string, signs?: false }>
  t.same(publicList.map(({ kid, signs }) => ({ kid, signs })), [{ kid: 'ed-2', signs: false }, { kid: olderEntry.kid, signs: undefined }], 'the same list, in order')
  t.ok(publicList.every((entry) => entry.publicKey.startsWith('-----BEGIN PUBLIC KEY-----')), 'public keys only')
  for (const output of [listed.stdout, published.stdout, wrongAlg.stderr]) {
    t.notOk(output.includes('PRIVATE KEY') || output.includes(edEntry.privateKey.split('\n')[1] ?? ''), 'no private key printed')
  }
  const listedPublic = await runCli(['keys', 'list'], { ...keysEnv, JWT_KEYS: published.stdout.trim() })
  t.same(listedPublic.stdout.split('\n').map((line) => line.split('\t')[1]).slice(0, 2), listed.stdout.split('\n').map((line) => line.split('\t')[1]).slice(0, 2),
    'the same fingerprints from the public list')
  t.match(listedPublic.stdout, /signs \(public key only\)/)
  t.equal(wrongAlg.code, 1, exitStatus(wrongAlg))
  t.match(wrongAlg.stderr, /ACCESS_TOKEN_ALG=ES256 needs an EC key on P-256/)
  t.equal(hs256.code, 2, exitStatus(hs256))
  t.match(hs256.stderr, /keys public needs ACCESS_TOKEN_ALG=EdDSA or ES256/)
})

t.test('service-keys generate prints a new key once with its SERVICE_KEYS entry, which the server loads and knows the key by', async (t) => {
  const env = { DATA_DIR: join(tempDir(t), 'never-created') }
  const [first, second] = await Promise.all([
    runCli(['service-keys', 'generate', '--name', 'billing', '--scopes', 'sessions:start,sessions:read'], env),
    runCli(['service-keys', 'generate', '--name', 'billing', '--scopes', 'sessions:end'], env)
  ])
  t.equal(first.code, 0, exitStatus(first))
  const [key = '', entryLine = '', ...rest] = first.stdout.split('\n')
  t.same(rest, [''], 'two lines on stdout: the key, then its entry')
  t.match(key, /^tsa_sk_[A-Za-z0-9_-]{43}$/, 'the prefix and 32 random bytes, base64url')
  const entry = JSON.parse(entryLine) as { name: string, keySha256: string, scopes: string[] }
  t.same(entry, { name: 'billing', keySha256: createHash('sha256').update(key).digest('hex'), scopes: ['sessions:start', 'sessions:read'] },
    'the entry: the name, the SHA-256 of the key, the scopes')
  t.match(first.stderr, /shown this once and stored nowhere/, 'says the key is shown once, on stderr')
  const audit = first.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { type?: string, reason?: string, actor?: string })
  t.match(audit, [{ type: 'keys.generated', reason: 'service_key', actor: 'cli' }], 'the audit line of the generation')
  t.notOk(first.stderr.includes(key), 'the key is printed on stdout alone')
  t.notOk(second.stdout.includes(key), 'each run makes another key')

  const config = loadConfig({ ...env, JWT_SECRET: TEST_JWT_SECRET, SERVICE_KEYS: JSON.stringify([entry]) })
  t.same(new ServiceKeyRing(config.serviceKeys).check(`Bearer ${key}`), { identity: { name: 'billing', scopes: ['sessions:start', 'sessions:read'] } },
    'SERVICE_KEYS takes the entry as printed, and the key is known by it')
})

t.test('service-keys generate refuses a bad name or scope with exit code 2 and prints no key', async (t) => {
  const env = { DATA_DIR: join(tempDir(t), 'never-created') }
  const refusals: Array<[string[], RegExp]> = [
    [['service-keys', 'generate', '--scopes', 'sessions:read'], /service-keys generate needs --name/],
    [['service-keys', 'generate', '--name', 'Billing Team', '--scopes', 'sessions:read'], /--name must be 1 to 32 lowercase letters, digits, "_" or "-", beginning with a letter/],
    [['service-keys', 'generate', '--name', 'billing'], /--scopes needs a comma-separated list of sessions:start, sessions:read, sessions:end/],
    [['service-keys', 'generate', '--name', 'billing', '--scopes', 'sessions:read,sessions:delete'], /--scopes: unknown scope "sessions:delete"; the scopes are sessions:start, sessions:read, sessions:end/],
    [['service-keys', 'generate', '--name', 'billing', '--scopes', 'sessions:read,sessions:read'], /--scopes lists a scope twice/],
    [['service-keys', 'list'], /service-keys needs generate/]
  ]
  const results = await Promise.all(refusals.map(async ([args]) => await runCli(args, env)))
  refusals.forEach(([args, message], index) => {
    const result = results[index]
    t.equal(result?.code, 2, `${args.join(' ')}: ${result === undefined ? '' : exitStatus(result)}`)
    t.match(result?.stderr, message, 'says what is wrong')
    t.equal(result?.stdout, '', 'and prints no key')
  })
})

t.test('second-factor remove: a lost phone, for support; the password alone signs in again', { skip: SET_ROLE_SKIP }, async (t) => {
  const clock = new TestClock()
  const { app, config } = await buildTestApp(t, { databaseUrl: sharedPostgresUrl, clock: clock.now })
  const env = { REDIS_URL: config.REDIS_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX, DATABASE_URL: config.DATABASE_URL ?? '' }
  const session = await logIn(app, await createUser(app))
  await enableTotp(app, session, clock)
  t.equal((await passwordStep(app, session)).statusCode, 401, 'the factor is on')

  const usage = await runCli(['second-factor', '--user', String(session.userId)], env)
  t.equal(usage.code, 2, exitStatus(usage))
  t.match(usage.stderr, /second-factor needs a subcommand: remove/)
  const removed = await runCli(['second-factor', 'remove', '--user', String(session.userId)], env)
  t.equal(removed.code, 0, exitStatus(removed))
  t.equal(removed.stdout.trim(), `removed the second factor of user ${session.userId}`)
  t.equal((await passwordStep(app, session)).statusCode, 200, 'the password alone signs in')
  t.equal((await me(app, session.token)).statusCode, 200, 'its sessions stay')
  t.equal((await runCli(['second-factor', 'remove', '--user', String(session.userId)], env)).stdout.trim(), `user ${session.userId} has no second factor`)
})
