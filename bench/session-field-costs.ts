import { randomBytes } from 'node:crypto'
import { cleanUp, installExitHandlers } from './cleanup.js'
import { fixed, table } from './markdown.js'
import { settledUsedMemory, startBenchRedis, type BenchRedis } from './redis-stats.js'
import { BROWSER_USER_AGENT, SESSION_TTL_MS, SESSIONS_PER_USER, realisticLogin } from './session-records.js'
import { deviceLabel } from '../src/sessions/device-label.js'
import { deviceLabelCode } from '../src/sessions/device-label-code.js'
import { INDEX_TTL_SLACK_MS } from '../src/sessions/redis-session-store.js'
import { storedIp } from '../src/sessions/stored-ip.js'

// npm run bench:fields: what each field of a browser session costs in Redis, the table in
// docs/redis-keys.md#what-a-session-costs. 2,000 browser sessions (2 per user, after one request
// each) are written straight into a fresh redis-server in each shape, from the record the
// previous release stored to the one this release stores, one change at a time, then a few
// shapes this release does not use. Redis allocates in size classes (48, 64, 80 bytes...), so a
// change saves memory only when it moves an allocation into a smaller class: a change is
// measured both alone (from the previous record) and on top of the changes above it.

const SESSIONS = 2_000
const ROUNDS = 3
// Sessions written per pipeline: a small one, so that Redis' buffers for this client stay small
// beside what the sessions take (one pipeline of all of them adds some 15 bytes per session).
const BATCH_SIZE = 100
const MS_PER_SECOND = 1000
const INDEX_TTL_MS = SESSION_TTL_MS + INDEX_TTL_SLACK_MS
// The 22 characters of 128 random bits in base64url; fewer would carry fewer bits.
const SESSION_ID_BYTES = 16

interface Login {
  userId: number
  sessionId: string
  account: string
  loginAt: number
  lastSeenAt: number
  ip: string
}

interface Shape {
  // The session hash's fields and values.
  fields: (login: Login) => Record<string, string | number>
  // The index's score for the session.
  score: (login: Login) => number
  sessionId?: (login: Login) => string
}

type Change = (shape: Shape) => Shape

const LABEL = deviceLabel(BROWSER_USER_AGENT) ?? ''

const previousRelease: Shape = {
  fields: ({ account, loginAt, lastSeenAt, ip }) => ({ t: 'user', a: account, l: loginAt, s: lastSeenAt, u: LABEL, i: ip }),
  score: ({ loginAt }) => loginAt
}

function withField (change: (fields: Record<string, string | number>, login: Login) => Record<string, string | number>): Change {
  return (shape) => ({ ...shape, fields: (login) => change(shape.fields(login), login) })
}

function without (fields: Record<string, string | number>, name: string): Record<string, string | number> {
  const { [name]: _removed, ...rest } = fields
  return rest
}

// This release's changes, in the order they are applied.
const CHANGES: Array<[string, Change]> = [
  ['device label as a code `v` instead of text `u`', withField(({ u, ...fields }) => ({ ...fields, v: deviceLabelCode(String(u)) ?? 0 }))],
  ['IPv4 as a signed integer in `i`', withField((fields, { ip }) => ({ ...fields, i: storedIp(ip) }))],
  ['"last seen" as ms after login `w` instead of a time `s`', withField(({ s, ...fields }, { loginAt }) => ({ ...fields, w: Number(s) - loginAt }))]
]

// Further changes measured on top of this release's record, which it does not make.
// The first two break the previous release during a rolling upgrade (docs/redis-keys.md#what-every-session-keeps).
const NOT_MADE: Array<[string, Change]> = [
  ['userType `t` left out (absent: user)', withField((fields) => without(fields, 't'))],
  ['account `a` left to the users table', withField((fields) => without(fields, 'a'))],
  ['index scored in seconds', (shape) => ({ ...shape, score: ({ loginAt }) => Math.floor(loginAt / MS_PER_SECOND) })],
  ['index scored in seconds, session id of 20 characters (< 128 bits)', (shape) => ({
    ...shape,
    score: ({ loginAt }) => Math.floor(loginAt / MS_PER_SECOND),
    sessionId: ({ sessionId }) => sessionId.slice(0, 20)
  })],
  ['`l` left to the index score, "last seen" in seconds after login', withField(({ l, w, ...fields }) => ({ ...fields, w: Math.floor(Number(w) / MS_PER_SECOND) }))]
]

interface Measured {
  usedMemory: number
  hash: number
  index: number
}

function loginsOf (count: number, nowMs: number): Login[] {
  return Array.from({ length: count }, (_, n) => {
    const userId = 1 + Math.floor(n / SESSIONS_PER_USER)
    const { user, client, loginAt, lastSeenAt } = realisticLogin('browser', userId, nowMs)
    return { userId, sessionId: randomBytes(SESSION_ID_BYTES).toString('base64url'), account: user.account, loginAt, lastSeenAt, ip: client.ip }
  })
}

async function memoryUsage ({ admin }: BenchRedis, keys: Iterable<string>): Promise<number> {
  const pipeline = admin.pipeline()
  for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0)
  return (await pipeline.exec() ?? []).reduce((sum, [, bytes]) => sum + Number(bytes), 0)
}

async function measureOnce (redis: BenchRedis, shape: Shape, logins: Login[]): Promise<Measured> {
  await redis.admin.flushall()
  const before = await settledUsedMemory(redis.admin)
  const sessionKeys: string[] = []
  const indexKeys = new Set<string>()
  for (let start = 0; start < logins.length; start += BATCH_SIZE) {
    const pipeline = redis.admin.pipeline()
    for (const login of logins.slice(start, start + BATCH_SIZE)) {
      const sessionId = shape.sessionId?.(login) ?? login.sessionId
      const sessionKey = `ACCESS_TOKEN:{${login.userId}}:${sessionId}`
      const indexKey = `ACCESS_TOKEN_INDEX:{${login.userId}}`
      pipeline.hset(sessionKey, shape.fields(login)).pexpire(sessionKey, SESSION_TTL_MS)
      pipeline.zadd(indexKey, shape.score(login), sessionId).pexpire(indexKey, INDEX_TTL_MS)
      sessionKeys.push(sessionKey)
      indexKeys.add(indexKey)
    }
    await pipeline.exec()
  }
  const after = await settledUsedMemory(redis.admin)
  return {
    usedMemory: (after - before) / logins.length,
    hash: await memoryUsage(redis, sessionKeys) / logins.length,
    index: await memoryUsage(redis, indexKeys) / logins.length
  }
}

// The median of a few rounds, each with its own logins, so one round's IP lengths do not decide.
async function measure (redis: BenchRedis, shape: Shape, nowMs: number): Promise<Measured> {
  const rounds: Measured[] = []
  for (let round = 0; round < ROUNDS; round++) rounds.push(await measureOnce(redis, shape, loginsOf(SESSIONS, nowMs)))
  const median = (pick: (measured: Measured) => number): number => rounds.map(pick).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] ?? Number.NaN
  return { usedMemory: median((m) => m.usedMemory), hash: median((m) => m.hash), index: median((m) => m.index) }
}

function row (label: string, alone: Measured | undefined, cumulative: Measured, previous: Measured): string[] {
  const delta = (value: number): string => Math.round(value) === 0 ? '0' : `${value > 0 ? '+' : ''}${fixed(value, 0)}`
  return [
    label,
    alone === undefined ? '–' : delta(alone.usedMemory - previous.usedMemory),
    fixed(cumulative.usedMemory, 0),
    fixed(cumulative.hash, 0),
    fixed(cumulative.index, 0)
  ]
}

installExitHandlers()
try {
  const redis = await startBenchRedis()
  const nowMs = Date.now()
  // Discarded: what Redis allocates once (the client's buffers, the dictionaries' first tables).
  await measureOnce(redis, previousRelease, loginsOf(SESSIONS, nowMs))
  const baseline = await measure(redis, previousRelease, nowMs)
  const rows = [row('the previous release\'s record: `t a l s u i`', undefined, baseline, baseline)]
  let shape = previousRelease
  for (const [label, change] of CHANGES) {
    shape = change(shape)
    rows.push(row(label, await measure(redis, change(previousRelease), nowMs), await measure(redis, shape, nowMs), baseline))
  }
  const thisRelease = shape
  for (const [label, change] of NOT_MADE) rows.push(row(`not made: ${label}`, undefined, await measure(redis, change(thisRelease), nowMs), baseline))
  console.log(`${SESSIONS.toLocaleString('en-US')} browser sessions, ${SESSIONS_PER_USER} per user, bytes per session (median of ${ROUNDS} rounds):\n`)
  console.log(table(['change', '`used_memory` Δ alone', '`used_memory` with the changes above', '`MEMORY USAGE` hash', '`MEMORY USAGE` index share'], rows))
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  await cleanUp()
}
