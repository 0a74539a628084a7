import type { Redis } from 'ioredis'
import type { SessionEndReason } from '../errors/api-errors.js'
import { callRedis, execPipeline } from '../redis/redis-failure.js'
import type { UserType } from '../tokens/session-claims.js'
import { defineSessionCommands, type TrimArguments, type TrimReply } from './session-scripts.js'
import { SESSION_FIELDS, storedField, type SessionField } from './session-fields.js'
import { sessionKeys, type SessionKeys } from './session-keys.js'
import type {
  CreateResult, ResumeResult, RevokeFilter, SessionRecord, SessionStore, TouchRequest, TouchResult
} from './session-store.js'

const EVERY_DEVICE = ''
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
const GENERATION_MOVED = -1

export interface RedisSessionStoreOptions {
  keyPrefix?: string
  // How long a tombstone lives when the revoked key had no TTL (it always should have one).
  fallbackTombstoneTtlMs: number
}

// How many of a user's oldest index entries a login looks at: one more than the cap, so that
// the cap counts live sessions only and a login's work is bounded by the cap; a batch without one.
function indexScanLimit (maxSessions: number): number {
  return maxSessions === 0 ? SESSION_BATCH_SIZE : maxSessions + 1
}

// What a new session's hash holds, as field/value pairs; "last seen" and the reissue fields are
// written by touches. The key already names the user, so the hash does not repeat the user id.
export function sessionHashFields (record: SessionRecord): string[] {
  const fields: Partial<Record<SessionField, string | number>> = {
    userType: record.userType,
    account: record.account,
    loginAt: record.loginAt,
    deviceId: record.deviceId,
    userAgent: record.userAgent,
    ip: record.ip,
    tokenIat: record.tokenIat
  }
  return Object.entries(fields).flatMap(([field, value]) =>
    value === undefined ? [] : [SESSION_FIELDS[field as SessionField], String(value)])
}

function fromHash (userId: number, sessionId: string, hash: Record<string, string>): SessionRecord | undefined {
  const field = (name: SessionField): string | undefined => storedField(hash, name)
  const account = field('account')
  const loginAt = field('loginAt')
  if (account === undefined || loginAt === undefined) return undefined
  const lastSeenAt = field('lastSeenAt')
  const tokenIat = field('tokenIat')
  return {
    sessionId,
    userId,
    userType: field('userType') as UserType,
    account,
    loginAt: Number(loginAt),
    lastSeenAt: lastSeenAt === undefined ? undefined : Number(lastSeenAt),
    deviceId: field('deviceId'),
    userAgent: field('userAgent'),
    ip: field('ip') ?? '',
    tokenIat: tokenIat === undefined ? undefined : Number(tokenIat)
  }
}

export class RedisSessionStore implements SessionStore {
  private readonly keys: SessionKeys

  constructor (private readonly redis: Redis, private readonly options: RedisSessionStoreOptions) {
    this.keys = sessionKeys(options.keyPrefix)
    defineSessionCommands(redis)
  }

  async generation (userId: number): Promise<string> {
    return (await callRedis(() => this.redis.get(this.keys.generation(userId)))) ?? NO_GENERATION_YET
  }

  async create (record: SessionRecord, ttlMs: number, generation: string, maxSessions: number): Promise<CreateResult> {
    const { keys } = this
    const { userId } = record
    const reply = await callRedis(() => this.redis.sessionCreate(
      keys.session(userId, record.sessionId), keys.index(userId), keys.generation(userId),
      ...this.trimArguments(userId, maxSessions),
      ttlMs, record.loginAt, record.sessionId, generation, INDEX_TTL_SLACK_MS, ...sessionHashFields(record)
    ))
    if (reply[0] === GENERATION_MOVED) return { created: false }
    const [overCap, ...evicted] = reply as TrimReply
    if (overCap > 0) evicted.push(...await this.trimOverCap(userId, maxSessions))
    return { created: true, evicted }
  }

  async touch (userId: number, sessionId: string, request: TouchRequest): Promise<TouchResult> {
    const { keys } = this
    const reply = await callRedis(() => this.redis.sessionTouch(
      keys.session(userId, sessionId), keys.index(userId), keys.tombstone(userId, sessionId),
      request.ttlMs, request.nowMs, LAST_SEEN_RESOLUTION_MS, INDEX_TTL_SLACK_MS,
      request.tokenIat, request.reissueAfterSeconds, request.reissueGraceMs, request.slideEveryMs,
      request.ttlIsDeadline ? '1' : '0'
    ))
    switch (reply[0]) {
      case 1: {
        const [, account, reissuedIat, expiresInMs, tokenIat, userType] = reply
        return {
          status: 'alive',
          account,
          userType,
          expiresInMs,
          ...(reissuedIat > 0 ? { reissuedIat } : {}),
          ...(tokenIat > 0 ? { tokenIat } : {})
        }
      }
      case 0: return { status: 'ended', reason: reply[1] as SessionEndReason }
      default: return { status: 'replaced' }
    }
  }

  async resume (record: SessionRecord, ttlMs: number): Promise<ResumeResult> {
    const { keys } = this
    const { userId, sessionId } = record
    const reply = await callRedis(() => this.redis.sessionResume(
      keys.session(userId, sessionId), keys.index(userId), keys.tombstone(userId, sessionId),
      ttlMs, record.loginAt, sessionId, INDEX_TTL_SLACK_MS, ...sessionHashFields(record)
    ))
    return reply === 'alive' ? { status: 'alive' } : { status: 'ended', reason: reply as SessionEndReason }
  }

  async find (userId: number, sessionId: string): Promise<SessionRecord | undefined> {
    const hash = await callRedis(() => this.redis.hgetall(this.keys.session(userId, sessionId)))
    return fromHash(userId, sessionId, hash)
  }

  // Read in pages, newest first (the index is scored by login time), each page one round trip.
  async list (userId: number): Promise<SessionRecord[]> {
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

  async revoke (userId: number, sessionId: string, reason: SessionEndReason): Promise<boolean> {
    const { keys } = this
    const revoked = await callRedis(() => this.redis.sessionRevoke(
      keys.session(userId, sessionId), keys.index(userId), keys.tombstone(userId, sessionId),
      sessionId, reason, this.options.fallbackTombstoneTtlMs
    ))
    return revoked === 1
  }

  // In batches of about SESSION_BATCH_SIZE sessions, one script call each, so that ending a
  // great many sessions never holds Redis (and every other user's request) for long.
  async revokeAll (userId: number, reason: SessionEndReason, filter: RevokeFilter = {}): Promise<number> {
    const { keys } = this
    let cursor = '0'
    let revoked = 0
    do {
      const [next, ended] = await callRedis(() => this.redis.sessionRevokeAllBatch(
        keys.index(userId), keys.generation(userId), keys.sessionPrefix(userId), keys.tombstonePrefix(userId),
        reason, filter.deviceId ?? EVERY_DEVICE, this.options.fallbackTombstoneTtlMs, GENERATION_TTL_MS,
        cursor, SESSION_BATCH_SIZE
      ))
      cursor = next
      revoked += ended
    } while (cursor !== '0')
    return revoked
  }

  async ping (): Promise<void> {
    await callRedis(() => this.redis.ping())
  }

  private async listPage (userId: number, start: number): Promise<{ records: SessionRecord[], entries: number, removed: number }> {
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

  private trimArguments (userId: number, maxSessions: number): TrimArguments {
    const { keys, options } = this
    return [keys.sessionPrefix(userId), keys.tombstonePrefix(userId), maxSessions, indexScanLimit(maxSessions), options.fallbackTombstoneTtlMs]
  }

  // An index far over the cap (the cap is new, or was lowered): evicted a batch per call.
  private async trimOverCap (userId: number, maxSessions: number): Promise<string[]> {
    const { keys } = this
    const evicted: string[] = []
    let overCap: number
    do {
      const [left, ...ended] = await callRedis(() =>
        this.redis.sessionTrim(keys.index(userId), ...this.trimArguments(userId, maxSessions)))
      evicted.push(...ended)
      // A call that evicted nothing cannot make progress (should not happen): stop rather than spin.
      overCap = ended.length === 0 ? 0 : left
    } while (overCap > 0)
    return evicted
  }
}
