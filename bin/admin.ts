import { parseArgs } from 'node:util'
import { systemClock } from '../src/clock.js'
import { ConfigError, readEnv } from '../src/config/load-config.js'
import type { Env } from '../src/config/config-schema.js'
import { DataDirInUseError } from '../src/db/data-dir-lock.js'
import { migrate } from '../src/db/migrate.js'
import type { SqlDatabase } from '../src/db/sql-database.js'
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../src/passwords/password-hasher.js'
import { refreshTokensInPostgres, sessionPolicyOf } from '../src/config/session-policies.js'
import { PostgresRefreshTokenStore } from '../src/refresh/postgres-refresh-token-store.js'
import type { RedisClient } from '../src/redis/redis-client.js'
import { SERVICE_KEY_NAME_PATTERN, SERVICE_KEY_NAME_RULE } from '../src/service-keys/service-key.js'
import { RedisSessionStore } from '../src/sessions/redis-session-store.js'
import { SessionService, type BanInput } from '../src/sessions/session-service.js'
import { BAN_REASON_MAX_LENGTH, banUntil, type UserBan } from '../src/sessions/user-ban.js'
import { toSessionView } from '../src/sessions/session-view.js'
import type { UserType } from '../src/tokens/session-claims.js'
import { UserRepository } from '../src/users/user-repository.js'
import { TotpRepository } from '../src/second-factor/totp-repository.js'
import { isUserId, USER_ID_STRING_MAX_LENGTH, userIdOfKey, type UserId } from '../src/users/user-id.js'
import { KID_PATTERN, TOKEN_ALGORITHMS, type TokenAlgorithm } from '../src/tokens/signing-keys.js'
import { CLI_ACTOR, CliEvents } from './cli-events.js'
import { generateKey, listKeys, publicKeyList } from './keys-command.js'
import { readPassword } from './read-password.js'
import { generateServiceKey, serviceKeyScopesOf } from './service-keys-command.js'

const USAGE = `Usage: npm run admin -- <command> [options]

  create-user --account ACCOUNT [--admin]   create a user; the password is read from stdin
  set-role --user USER_ID --role user|admin change a user's role; a demotion ends their sessions
  revoke --user USER_ID [--device DEVICE]   end all sessions of a user, or those of one device
  sessions --user USER_ID                   list a user's sessions, and the user's ban if banned
  ban --user USER_ID --reason TEXT [--until ISO]
                                            ban a user: every session ends now (reason banned), and
                                            logins and refreshes are refused until ISO, or until unban
  unban --user USER_ID                      lift a user's ban
  second-factor remove --user USER_ID       turn a user's second factor off (a lost phone and lost backup
                                            codes, after checking who asks); sessions stay
                                            (revoke, sessions, ban, unban: any session's user id, this
                                            server's number or another user store's string)
  keys generate [--kid KID] [--alg ALG]     print a new JWT_KEYS entry: a random secret (HS256), or a
                                            private key (EdDSA, ES256); ALG defaults to ACCESS_TOKEN_ALG
  keys list                                 the configured signing keys by kid and fingerprint
  keys public                               JWT_KEYS with public keys only, for services that only verify
  service-keys generate --name NAME --scopes SCOPE[,SCOPE]
                                            print a new service key (shown once) and its SERVICE_KEYS entry;
                                            scopes: sessions:start, sessions:read, sessions:end, users:ban

Session commands need only Redis (REDIS_URL or REDIS_CLUSTER_NODES), and also the database when refresh tokens
are kept there (AUTH_STRATEGY=refresh, REFRESH_STORE=postgres); create-user and set-role need
the database (DATABASE_URL, or the embedded one under DATA_DIR while no server uses it).`

const REDIS_CONNECT_TIMEOUT_MS = 3000
const REDIS_DISCONNECT_TIMEOUT_MS = 100
const MS_PER_SECOND = 1000

// As the API refuses them: control and format (bidirectional, zero-width) characters.
const CONTROL_CHARACTER = /[\p{Cc}\p{Cf}]/u

class UsageError extends Error {}

function userTypeOption (value: string | undefined): UserType {
  if (value !== 'user' && value !== 'admin') throw new UsageError('--role must be user or admin')
  return value
}

function algorithmOption (value: string | undefined, configured: TokenAlgorithm): TokenAlgorithm {
  if (value === undefined) return configured
  const algorithm = TOKEN_ALGORITHMS.find((name) => name === value)
  if (algorithm === undefined) throw new UsageError(`--alg must be one of ${TOKEN_ALGORITHMS.join(', ')}`)
  return algorithm
}

function userIdOption (value: string | undefined): number {
  const userId = Number(value)
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new UsageError('--user needs a numeric user id')
  return userId
}

// Sessions may belong to users of another user store, whose ids are strings; digits name the
// same user as that number (src/users/user-id.ts).
function sessionUserIdOption (value: string | undefined): UserId {
  const userId = userIdOfKey(value ?? '')
  if (!isUserId(userId)) throw new UsageError(`--user needs a user id: a number, or 1 to ${USER_ID_STRING_MAX_LENGTH} characters A-Z a-z 0-9 _ -`)
  return userId
}

// As the API's schema: 1 to 200 characters, no control characters; an end in the future.
function banOptions (reason: string | undefined, until: string | undefined, nowMs: number): BanInput {
  if (reason === undefined || reason.length === 0) throw new UsageError('ban needs --reason')
  if (reason.length > BAN_REASON_MAX_LENGTH || CONTROL_CHARACTER.test(reason)) {
    throw new UsageError(`--reason must be 1 to ${BAN_REASON_MAX_LENGTH} characters without control characters`)
  }
  if (until === undefined) return { reason }
  const untilMs = Date.parse(until)
  if (Number.isNaN(untilMs) || untilMs <= nowMs) throw new UsageError('--until must be an ISO 8601 time in the future, e.g. 2030-01-31T12:00:00Z')
  return { reason, untilMs }
}

function banLine (userId: UserId, ban: UserBan): string {
  const until = banUntil(ban)
  return `user ${userId} is banned ${until === undefined ? 'until lifted' : `until ${until}`}: ${ban.reason}`
}

// ioredis, pg and PGlite are loaded by the commands that use them: the others (keys, a usage
// error) start in a fraction of the time, PGlite's modules alone being a tenth of a second of CPU.
async function withRedis<T> (env: Env, work: (redis: RedisClient) => Promise<T>): Promise<T> {
  const { isCluster, newRedisClient, redisLocation, seedNodeError } = await import('../src/redis/redis-connection.js')
  const redis = newRedisClient(env, {
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
    // ioredis waits this long for a socket to close before forcing it, holding the CLI's exit.
    disconnectTimeout: REDIS_DISCONNECT_TIMEOUT_MS
  })
  // Without a listener ioredis prints "Unhandled error event"; keep the cause for our message.
  let lastError: Error | undefined
  redis.on('error', (error: Error) => { lastError = error })
  try {
    await redis.connect().catch(async (error: Error) => {
      // A cluster's own error says only that no seed answered: the first seed's says why.
      const seedError = isCluster(env) ? await seedNodeError(env) : undefined
      // Never the URL itself: it may carry a password.
      throw new Error(`Cannot reach ${redisLocation(env)}: ${(lastError ?? error).message}${seedError === undefined ? '' : ` (${seedError})`}`)
    })
    return await work(redis)
  } finally {
    redis.disconnect()
  }
}

// The sessions the CLI ends are told as session events (`events`), with the actor "cli".
async function withSessions<T> (env: Env, events: CliEvents, work: (sessions: SessionService) => Promise<T>): Promise<T> {
  return await withRedis(env, async (redis) => {
    const store = new RedisSessionStore(redis, {
      keyPrefix: env.REDIS_KEY_PREFIX,
      fallbackTombstoneTtlMs: env.SESSION_TTL * MS_PER_SECOND
    })
    if (!refreshTokensInPostgres(env)) return await work(new SessionService(store, sessionPolicyOf(env), undefined, systemClock, events.observer))
    // Refresh tokens kept in PostgreSQL must be revoked there too, or they could revive the session.
    return await withDatabase(env, async (db) =>
      await work(new SessionService(store, sessionPolicyOf(env), new PostgresRefreshTokenStore(db, store), systemClock, events.observer)))
  })
}

// A command that tells events: with EVENTS_STREAM, one Redis connection carries them all, in
// order, and the command ends once Redis has taken them.
async function withEvents<T> (env: Env, work: (events: CliEvents) => Promise<T>): Promise<T> {
  const events = new CliEvents(env)
  if (!events.needsRedis) return await work(events)
  return await withRedis(env, async (redis) => {
    events.useRedis(redis)
    let result: T
    try {
      result = await work(events)
    } catch (error) {
      // The command's own failure is what to report; the events told before it still go out.
      await events.settled().catch(() => undefined)
      throw error
    }
    await events.settled()
    return result
  })
}

async function withDatabase<T> (env: Env, work: (db: SqlDatabase) => Promise<T>): Promise<T> {
  const db: SqlDatabase = env.DATABASE_URL === undefined
    ? await (await import('../src/db/pglite-database.js')).openPglite(env.DATA_DIR)
    : (await import('../src/db/postgres-database.js')).openPostgres(env.DATABASE_URL, () => undefined)
  try {
    await migrate(db)
    return await work(db)
  } finally {
    await db.close()
  }
}

async function withUsers<T> (env: Env, work: (users: UserRepository) => Promise<T>): Promise<T> {
  return await withDatabase(env, async (db) => await work(new UserRepository(db)))
}

// A session keeps the role it was created with, so a demotion ends them all: before the change,
// so a failure half way leaves the user logged out rather than an admin, and after it, for
// logins that read the old role in between (the generation moves, as for a password change).
async function setRole (env: Env, events: CliEvents, userId: number, role: UserType): Promise<string> {
  const demoting = role === 'user'
  const endSessions = async (): Promise<number> =>
    demoting ? await withSessions(env, events, async (sessions) => await sessions.endAll(userId, 'revoked', {}, undefined, CLI_ACTOR)) : 0
  const endedBefore = await endSessions()
  const previous = await withUsers(env, async (users) => await users.updateUserType(userId, role))
  if (previous === undefined) throw new Error(`no user with id ${userId}`)
  // The new role in `reason`; setting the role a user already has changes nothing, and tells nothing.
  if (previous !== role) events.tell('user.role_changed', { userId, reason: role })
  const ended = endedBefore + await endSessions()
  const change = previous === role ? `is already ${role}` : `is now ${role} (was ${previous})`
  return `user ${userId} ${change}${demoting ? `; ended ${ended} session(s)` : '; the role applies from the next login'}`
}

async function run (argv: string[], env: Env): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      admin: { type: 'boolean', default: false },
      user: { type: 'string' },
      role: { type: 'string' },
      device: { type: 'string' },
      kid: { type: 'string' },
      alg: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      reason: { type: 'string' },
      until: { type: 'string' }
    }
  })
  const [command] = positionals
  switch (command) {
    case 'create-user': {
      if (values.account === undefined || values.account.trim() === '') throw new UsageError('create-user needs --account')
      // As the API's schema: PostgreSQL refuses NUL, and no control character belongs in an account.
      if (CONTROL_CHARACTER.test(values.account)) throw new UsageError('--account must not contain control or format characters')
      const password = await readPassword('Password: ')
      if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
        throw new UsageError(`the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`)
      }
      const userType = values.admin ? 'admin' : 'user'
      const user = await withUsers(env, async (users) =>
        await users.create({ account: values.account ?? '', passwordHash: await hashPassword(password), userType }))
      console.log(`created ${user.userType} ${user.account} with user id ${user.id}`)
      return
    }
    case 'set-role': {
      const userId = userIdOption(values.user)
      const role = userTypeOption(values.role)
      console.log(await withEvents(env, async (events) => await setRole(env, events, userId, role)))
      return
    }
    case 'revoke': {
      const userId = sessionUserIdOption(values.user)
      const revoked = await withEvents(env, async (events) => await withSessions(env, events, async (sessions) =>
        await sessions.endAll(userId, 'admin', { deviceId: values.device }, undefined, CLI_ACTOR)))
      console.log(`revoked ${revoked} session(s) of user ${userId}${values.device === undefined ? '' : ` on device ${values.device}`}`)
      return
    }
    case 'ban': {
      const userId = sessionUserIdOption(values.user)
      const ban = banOptions(values.reason, values.until, Date.now())
      const ended = await withEvents(env, async (events) => await withSessions(env, events, async (sessions) =>
        await sessions.ban(userId, ban, undefined, CLI_ACTOR)))
      const until = ban.untilMs === undefined ? 'until unban' : `until ${new Date(ban.untilMs).toISOString()}`
      console.log(`banned user ${userId} ${until}; ended ${ended} session(s)`)
      return
    }
    case 'unban': {
      const userId = sessionUserIdOption(values.user)
      const lifted = await withEvents(env, async (events) => await withSessions(env, events, async (sessions) =>
        await sessions.unban(userId, undefined, CLI_ACTOR)))
      console.log(lifted ? `lifted the ban on user ${userId}` : `user ${userId} was not banned`)
      return
    }
    case 'second-factor': {
      if (positionals[1] !== 'remove') throw new UsageError('second-factor needs a subcommand: remove')
      const userId = userIdOption(values.user)
      const removed = await withEvents(env, async (events) => {
        const gone = await withDatabase(env, async (db) => await new TotpRepository(db).remove(userId))
        if (gone) events.tell('second_factor.disabled', { userId })
        return gone
      })
      console.log(removed ? `removed the second factor of user ${userId}` : `user ${userId} has no second factor`)
      return
    }
    case 'sessions': {
      const userId = sessionUserIdOption(values.user)
      const [records, ban] = await withSessions(env, new CliEvents(env), async (sessions) =>
        await Promise.all([sessions.list(userId), sessions.findBan(userId)]))
      if (ban !== undefined) console.log(banLine(userId, ban))
      if (records.length === 0) console.log(`user ${userId} has no sessions`)
      for (const view of records.map((record) => toSessionView(record))) {
        console.log(JSON.stringify(view))
      }
      return
    }
    case 'keys': {
      const [, action] = positionals
      if (action === 'generate') {
        if (values.kid !== undefined && !KID_PATTERN.test(values.kid)) throw new UsageError('--kid must be 1 to 64 letters, digits, ".", "_" or "-"')
        const algorithm = algorithmOption(values.alg, env.ACCESS_TOKEN_ALG)
        const { entry, advice } = generateKey(values.kid, new Date(), algorithm)
        // Told before the key is printed: a key the trail does not know of is never handed out.
        await withEvents(env, async (events) => { events.tell('keys.generated', { reason: algorithm }) })
        console.log(entry)
        console.error(advice)
      } else if (action === 'list' || action === 'public') {
        if (action === 'public' && env.ACCESS_TOKEN_ALG === 'HS256') {
          throw new UsageError('keys public needs ACCESS_TOKEN_ALG=EdDSA or ES256: an HS256 secret has no public half')
        }
        const output = action === 'list' ? listKeys(env).join('\n') : publicKeyList(env)
        await withEvents(env, async (events) => { events.tell('keys.listed', { reason: action }) })
        console.log(output)
      } else {
        throw new UsageError('keys needs generate, list or public')
      }
      return
    }
    case 'service-keys': {
      const [, action] = positionals
      if (action !== 'generate') throw new UsageError('service-keys needs generate')
      const { name } = values
      if (name === undefined) throw new UsageError('service-keys generate needs --name')
      if (!SERVICE_KEY_NAME_PATTERN.test(name)) throw new UsageError(`--name must be ${SERVICE_KEY_NAME_RULE}`)
      const scopes = serviceKeyScopesOf(values.scopes)
      if (typeof scopes === 'string') throw new UsageError(scopes)
      const { output, advice } = generateServiceKey(name, scopes)
      // Told before the key is printed, as for keys generate.
      await withEvents(env, async (events) => { events.tell('keys.generated', { reason: 'service_key' }) })
      console.log(output)
      console.error(advice)
      return
    }
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`)
  }
}

try {
  await run(process.argv.slice(2), readEnv(process.env))
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`)
    process.exitCode = 2
  } else if (error instanceof DataDirInUseError || error instanceof ConfigError) {
    console.error(error.message)
    process.exitCode = 1
  } else {
    console.error(`admin: ${(error as Error).message}`)
    process.exitCode = 1
  }
}
