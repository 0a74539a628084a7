import { sessionStoreUnavailable, type SessionEndReason } from '../errors/api-errors.js'
import type { RedisClient } from '../redis/redis-client.js'
import { callRedis, execPipeline } from '../redis/redis-failure.js'
import type { UserType } from '../tokens/session-claims.js'
import type { UserId } from '../users/user-id.js'
import { bumpGenerationCall } from './scripts/bump-generation.js'
import { createSessionCall, decodeCreateSessionReply } from './scripts/create-session.js'
import { decodeMarkAuthenticatedReply, markAuthenticatedCall } from './scripts/mark-authenticated.js'
import { decodeResumeSessionReply, resumeSessionCall } from './scripts/resume-session.js'
import { decodeRevokeAllSessionsBatchReply, revokeAllSessionsBatchCall } from './scripts/revoke-all-sessions-batch.js'
import { decodeRevokeSessionReply, revokeSessionCall } from './scripts/revoke-session.js'
import { decodeTouchSessionReply, touchSessionCall } from './scripts/touch-session.js'
import { decodeTrimSessionsReply, trimSessionsCall } from './scripts/trim-sessions.js'
import { defineSessionCommands } from './session-scripts.js'
import { deviceLabelCode, deviceLabelOfCode } from './device-label-code.js'
import { SESSION_FIELDS, storedField, type SessionField } from './session-fields.js'
import { sessionKeys, type DeclaredSession, type SessionKeys } from './session-keys.js'
import { amrOfStored, storedAmr } from './session-amr.js'
import { startedUserId, userIdKindOf } from './session-user-id.js'
import { ipOfStored, storedIp } from './stored-ip.js'
import { decodeBan, encodeBan, type UserBan } from './user-ban.js'
import type {
  CreateResult, DeviceCap, EndedSession, MarkAuthenticatedResult, ResumeResult, RevokeFilter, SessionRecord, SessionStore, TouchRequest, TouchResult
} from './session-store.js'

const EVERY_DEVICE = ''
// A login whose device type gained a session between its read of the devices index and its
// create reads it again; this many times at most.
const CREATE_ATTEMPTS = 10
const NO_GENERATION_YET = '0'
// "Last seen" is written at most this often per session.
const LAST_SEEN_RESOLUTION_MS = 60_000
// The index is extended by its sessions' TTL plus this, so that extending it is a rare write.
export const INDEX_TTL_SLACK_MS = 60 * 60 * 1000
// Far longer than any login takes from reading the generation to creating its session.
const GENERATION_TTL_MS = 24 * 60 * 60 * 1000
// Index entries one script call looks at: a revoke-all, a listing or a trim beyond the cap goes
// on in further calls, so no single call blocks Redis for longer than a fraction of a millisecond
// per hundred sessions, whatever one user holds.
export const SESSION_BATCH_SIZE = 200

export interface RedisSessionStoreOptions {
  keyPrefix?: string
  // How long a tombstone lives when the revoked key had no TTL (it always should have one).
  fallbackTombstoneTtlMs: number
}

// How many of a user's oldest index entries a login's trim looks at: one more than the cap, so
// that the cap counts live sessions only and a login's work is bounded by the cap; a batch
// without one.
function indexScanLimit (maxSessions: number): number {
  return maxSessions === 0 ? SESSION_BATCH_SIZE : maxSessions + 1
}

// What a new session's hash holds, as field/value pairs; "last seen" and the reissue fields are
// written by touches. The key already names the user, so the hash does not repeat the user id;
// it says only when the key would read back as another kind (see session-user-id.ts). The device
// label and an IPv4 address are stored as integers: see session-fields.ts.
export function sessionHashFields (record: SessionRecord): string[] {
  const labelCode = record.userAgent === undefined ? undefined : deviceLabelCode(record.userAgent)
  const fields: Partial<Record<SessionField, string | number>> = {
    userIdKind: userIdKindOf(record.userId),
    userType: record.userType,
    account: record.account,
    loginAt: record.loginAt,
    deviceId: record.deviceId,
    deviceLabelCode: labelCode,
    userAgent: labelCode === undefined ? record.userAgent : undefined,
    ip: storedIp(record.ip),
    tokenIat: record.tokenIat,
    deviceType: record.deviceType,
    idleTtl: record.idleTtlSeconds,
    maxLifetime: record.maxLifetimeSeconds,
    notRemembered: record.notRemembered === true ? 1 : undefined,
    authAt: record.authAt === record.loginAt ? undefined : record.authAt,
    amr: storedAmr(record.amr)
  }
  return Object.entries(fields).flatMap(([field, value]) =>
    value === undefined ? [] : [SESSION_FIELDS[field as SessionField], String(value)])
}

// Both are present in a session the previous release touched during a rolling upgrade (it writes
// the time beside the offset): the later one is "last seen".
function lastSeenOf (loginAt: number, afterLogin: string | undefined, absolute: string | undefined): number | undefined {
  const seenAfterLogin = afterLogin === undefined ? undefined : loginAt + Number(afterLogin)
  const seenAt = absolute === undefined ? undefined : Number(absolute)
  if (seenAfterLogin === undefined || seenAt === undefined) return seenAfterLogin ?? seenAt
  return Math.max(seenAfterLogin, seenAt)
}

function deviceLabelOf (code: string | undefined, text: string | undefined): string | undefined {
  return code === undefined ? text : deviceLabelOfCode(Number(code)) ?? text
}

function fromHash (userId: UserId, sessionId: string, hash: Record<string, string>): SessionRecord | undefined {
  const field = (name: SessionField): string | undefined => storedField(hash, name)
  const loginAtText = field('loginAt')
  if (loginAtText === undefined) return undefined
  const loginAt = Number(loginAtText)
  const lastSeenAt = lastSeenOf(loginAt, field('lastSeenAfterLogin'), field('lastSeenAt'))
  const tokenIat = field('tokenIat')
  const idleTtl = field('idleTtl')
  const maxLifetime = field('maxLifetime')
  const authAt = field('authAt')
  const amr = field('amr')
  const ip = field('ip')
  return {
    sessionId,
    userId: startedUserId(userId, field('userIdKind')),
    userType: field('userType') as UserType,
    account: field('account') ?? '',
    loginAt,
    lastSeenAt,
    deviceId: field('deviceId'),
    userAgent: deviceLabelOf(field('deviceLabelCode'), field('userAgent')),
    ip: ip === undefined ? '' : ipOfStored(ip),
    tokenIat: tokenIat === undefined ? undefined : Number(tokenIat),
    deviceType: field('deviceType'),
    idleTtlSeconds: idleTtl === undefined ? undefined : Number(idleTtl),
    maxLifetimeSeconds: maxLifetime === undefined ? undefined : Number(maxLifetime),
    notRemembered: field('notRemembered') === '1' ? true : undefined,
    ...(authAt === undefined ? {} : { authAt: Number(authAt) }),
    ...(amr === undefined ? {} : { amr: amrOfStored(amr) })
  }
}

export class RedisSessionStore implements SessionStore {
  private readonly keys: SessionKeys

  constructor (private readonly redis: RedisClient, private readonly options: RedisSessionStoreOptions) {
    this.keys = sessionKeys(options.keyPrefix)
    defineSessionCommands(redis)
  }

  async generation (userId: UserId): Promise<string> {
    return (await callRedis(() => this.redis.get(this.keys.generation(userId)))) ?? NO_GENERATION_YET
  }

  async create (record: SessionRecord, ttlMs: number, generation: string, maxSessions: number, deviceCap?: DeviceCap): Promise<CreateResult> {
    const { keys } = this
    const { userId, sessionId, loginAt } = record
    const sessionKeysOfCall = {
      sessionKey: keys.session(userId, sessionId),
      indexKey: keys.index(userId),
      generationKey: keys.generation(userId),
      devicesKey: keys.devices(userId),
      banKey: keys.ban(userId)
    }
    const args = {
      ttlMs,
      loginAt,
      sessionId,
      generationRead: generation,
      indexSlackMs: INDEX_TTL_SLACK_MS,
      indexScanLimit: indexScanLimit(maxSessions),
      cappedDeviceType: deviceCap?.deviceType ?? '',
      maxOfType: deviceCap?.maxSessions ?? 0,
      refuseNew: deviceCap?.refuseNew ?? false,
      fallbackTtlMs: this.options.fallbackTombstoneTtlMs
    }
    const hashFields = sessionHashFields(record)
    // The sessions of a capped type are declared to the script, which cannot name their keys
    // itself: read from the devices index, and read again when a login added one meanwhile.
    for (let attempt = 1; ; attempt++) {
      const ofItsType = deviceCap === undefined ? [] : await this.sessionsOfType(userId, deviceCap.deviceType)
      const call = createSessionCall(sessionKeysOfCall, args, hashFields, ofItsType)
      const reply = decodeCreateSessionReply(await callRedis(() => this.redis.sessionCreate(...call)))
      if (reply.created) {
        const evicted = reply.toTrim.length === 0 ? [] : await this.trim(userId, maxSessions, reply.toTrim, sessionId)
        // The sessions a device rule replaced were of the new one's type, which the caller knows.
        return { created: true, evicted, replaced: reply.replaced.map((replacedId) => ({ sessionId: replacedId, deviceType: deviceCap?.deviceType })) }
      }
      if (reply.status === 'banned') return { created: false, ban: decodeBan(reply.ban) }
      if (reply.status === 'full') return { created: false, deviceTypeFull: true }
      if (reply.status === 'generation_moved') return { created: false }
      // 'stale': each retry follows a login that did succeed, so this ends; the bound is a guard.
      if (attempt === CREATE_ATTEMPTS) throw sessionStoreUnavailable(new Error('the devices index kept changing during a login'))
    }
  }

  // The user's sessions of this device type as the devices index lists them, oldest first.
  private async sessionsOfType (userId: UserId, deviceType: string): Promise<DeclaredSession[]> {
    const members = await callRedis(() => this.redis.zrange(this.keys.devices(userId), '0', '-1'))
    const prefix = `${deviceType}:`
    const sessionIds = members.filter((member) => member.startsWith(prefix)).map((member) => member.slice(prefix.length))
    return this.keys.declared(userId, sessionIds)
  }

  async touch (userId: UserId, sessionId: string, request: TouchRequest): Promise<TouchResult> {
    const call = touchSessionCall(
      { ...this.keys.oneSession(userId, sessionId), devicesKey: this.keys.devices(userId) },
      { ...request, lastSeenResolutionMs: LAST_SEEN_RESOLUTION_MS, indexSlackMs: INDEX_TTL_SLACK_MS }
    )
    return decodeTouchSessionReply(await callRedis(() => this.redis.sessionTouch(...call)))
  }

  async resume (record: SessionRecord, ttlMs: number): Promise<ResumeResult> {
    const { userId, sessionId, loginAt } = record
    const call = resumeSessionCall(
      this.keys.oneSession(userId, sessionId),
      { ttlMs, loginAt, sessionId, indexSlackMs: INDEX_TTL_SLACK_MS },
      sessionHashFields(record)
    )
    return decodeResumeSessionReply(await callRedis(() => this.redis.sessionResume(...call)))
  }

  async find (userId: UserId, sessionId: string): Promise<SessionRecord | undefined> {
    const hash = await callRedis(() => this.redis.hgetall(this.keys.session(userId, sessionId)))
    return fromHash(userId, sessionId, hash)
  }

  // Read in pages, newest first (the index is scored by login time), each page one round trip.
  async list (userId: UserId): Promise<SessionRecord[]> {
    const records: SessionRecord[] = []
    const seen = new Set<string>()
    for (let start = 0; ; start += SESSION_BATCH_SIZE) {
      const page = await this.listPage(userId, start)
      // A session that moved between pages (entries removed meanwhile) is listed once.
      for (const record of page.records) {
        if (!seen.has(record.sessionId)) records.push(record)
        seen.add(record.sessionId)
      }
      if (page.entries < SESSION_BATCH_SIZE) return records
      // Entries of ended sessions were removed from this page: the next one starts that much earlier.
      start -= page.removed
    }
  }

  async revoke (userId: UserId, sessionId: string, reason: SessionEndReason): Promise<EndedSession | undefined> {
    const call = revokeSessionCall(
      this.keys.oneSession(userId, sessionId),
      { sessionId, reason, fallbackTtlMs: this.options.fallbackTombstoneTtlMs }
    )
    return decodeRevokeSessionReply(await callRedis(() => this.redis.sessionRevoke(...call)))
  }

  async markAuthenticated (userId: UserId, sessionId: string, authAtMs: number): Promise<MarkAuthenticatedResult> {
    const { sessionKey, tombstoneKey } = this.keys.oneSession(userId, sessionId)
    const call = markAuthenticatedCall({ sessionKey, tombstoneKey }, { authAtMs })
    return decodeMarkAuthenticatedReply(await callRedis(() => this.redis.sessionMarkAuthenticated(...call)))
  }

  // The index is walked with ZSCAN, which returns every entry that stays in it throughout,
  // whatever is added or removed meanwhile, in batches of about SESSION_BATCH_SIZE sessions, one
  // script call each, so that ending a great many sessions never holds Redis (and every other
  // user's request) for long. Ending every session is a cut-off, made before the walk. The session
  // a filter keeps (`exceptSessionId`) is never declared to a script, so no script can end it. A
  // filtered walk moves no generation: no credentials changed, so a login it refused would check
  // the same password again and succeed. It ends every session that existed when it began; one a
  // login creates during the walk ends or lives depending on where ZSCAN's cursor is.
  async revokeAll (userId: UserId, reason: SessionEndReason, filter: RevokeFilter = {}): Promise<EndedSession[]> {
    const { keys } = this
    const indexKey = keys.index(userId)
    const deviceId = filter.deviceId ?? EVERY_DEVICE
    if (deviceId === EVERY_DEVICE && filter.exceptSessionId === undefined) {
      const call = bumpGenerationCall({ generationKey: keys.generation(userId) }, { generationTtlMs: GENERATION_TTL_MS })
      await callRedis(() => this.redis.sessionBumpGeneration(...call))
    }
    let cursor = '0'
    const revoked: EndedSession[] = []
    do {
      const [nextCursor, entries] = await callRedis(() => this.redis.zscan(indexKey, cursor, 'COUNT', SESSION_BATCH_SIZE))
      // ZSCAN replies member, score, member, score...
      const sessionIds = entries.filter((entry, i) => i % 2 === 0 && entry !== filter.exceptSessionId)
      if (sessionIds.length > 0) {
        const call = revokeAllSessionsBatchCall(
          { indexKey },
          { reason, deviceId, fallbackTtlMs: this.options.fallbackTombstoneTtlMs },
          keys.declared(userId, sessionIds)
        )
        revoked.push(...decodeRevokeAllSessionsBatchReply(await callRedis(() => this.redis.sessionRevokeAllBatch(...call))))
      }
      cursor = nextCursor
    } while (cursor !== '0')
    return revoked
  }

  // One SET: the value and the TTL change together, and a ban without an end clears an earlier one's TTL.
  async ban (userId: UserId, ban: UserBan, ttlMs: number | undefined): Promise<void> {
    const key = this.keys.ban(userId)
    const value = encodeBan(ban)
    await callRedis(async () => await (ttlMs === undefined ? this.redis.set(key, value) : this.redis.set(key, value, 'PX', ttlMs)))
  }

  async unban (userId: UserId): Promise<boolean> {
    return await callRedis(() => this.redis.del(this.keys.ban(userId))) > 0
  }

  async findBan (userId: UserId): Promise<UserBan | undefined> {
    const value = await callRedis(() => this.redis.get(this.keys.ban(userId)))
    return value === null ? undefined : decodeBan(value)
  }

  // One GET per user, sent together: each user's key lies in the slot of its own hash tag, which
  // neither a pipeline nor MGET (which the documented ACL users are not given) may span on a
  // cluster, and on one connection the GETs still go out back to back, one round trip.
  async findBans (userIds: readonly UserId[]): Promise<Array<UserBan | undefined>> {
    const values = await callRedis(async () => await Promise.all(userIds.map(async (userId) => await this.redis.get(this.keys.ban(userId)))))
    return values.map((value) => value === null ? undefined : decodeBan(value))
  }

  async ping (): Promise<void> {
    await callRedis(() => this.redis.ping())
  }

  private async listPage (userId: UserId, start: number): Promise<{ records: SessionRecord[], entries: number, removed: number }> {
    const { keys } = this
    const indexKey = keys.index(userId)
    const stop = start + SESSION_BATCH_SIZE - 1
    const sessionIds = await callRedis(() => this.redis.zrange(indexKey, String(start), String(stop), 'REV'))
    if (sessionIds.length === 0) return { records: [], entries: 0, removed: 0 }
    const pipeline = this.redis.pipeline()
    for (const sessionId of sessionIds) pipeline.hgetall(keys.session(userId, sessionId))
    const hashes = await execPipeline(pipeline)
    const records: SessionRecord[] = []
    const gone: string[] = []
    sessionIds.forEach((sessionId, i) => {
      const record = fromHash(userId, sessionId, (hashes[i] ?? {}) as Record<string, string>)
      if (record) records.push(record)
      else gone.push(sessionId)
    })
    const removed = gone.length === 0 ? 0 : await callRedis(() => this.redis.zrem(indexKey, ...gone))
    return { records, entries: sessionIds.length, removed }
  }

  // A batch of the oldest entries per call, each call replying the next batch while the index is
  // over the cap: only an index far over it (the cap is new, or was lowered) needs more than one.
  // `keep`, the login's own session, is never declared, so never evicted by its own login.
  private async trim (userId: UserId, maxSessions: number, oldestIds: string[], keep: string): Promise<EndedSession[]> {
    const args = { maxSessions, indexScanLimit: indexScanLimit(maxSessions), fallbackTtlMs: this.options.fallbackTombstoneTtlMs }
    const evicted: EndedSession[] = []
    let toTrim = oldestIds
    let overCap = Number.POSITIVE_INFINITY
    while (toTrim.length > 0) {
      const declared = this.keys.declared(userId, toTrim.filter((id) => id !== keep))
      const call = trimSessionsCall({ indexKey: this.keys.index(userId) }, args, declared)
      const trim = decodeTrimSessionsReply(await callRedis(() => this.redis.sessionTrim(...call)))
      evicted.push(...trim.evicted)
      // Concurrent logins can keep the index over the cap: a call that brought it no closer ends
      // the loop rather than spin, and a later login goes on.
      if (trim.overCap >= overCap) break
      overCap = trim.overCap
      toTrim = trim.nextIds
    }
    return evicted
  }
}
