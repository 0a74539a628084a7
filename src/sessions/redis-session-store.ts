import type { Redis } from 'ioredis'
import type { SessionEndReason } from '../errors/api-errors.js'
import { callRedis, execPipeline } from '../redis/redis-failure.js'
import type { UserType } from '../tokens/session-claims.js'
import { defineSessionCommands } from './session-scripts.js'
import { sessionKeys, type SessionKeys } from './session-keys.js'
import type { ResumeResult, RevokeFilter, SessionRecord, SessionStore, TouchRequest, TouchResult } from './session-store.js'

const EVERY_DEVICE = ''
const NO_GENERATION_YET = '0'
// "Last seen" is written at most this often per session.
const LAST_SEEN_RESOLUTION_MS = 60_000
// The index is extended by its sessions' TTL plus this, so that extending it is a rare write.
export const INDEX_TTL_SLACK_MS = 60 * 60 * 1000
// Far longer than any login takes from reading the generation to creating its session.
const GENERATION_TTL_MS = 24 * 60 * 60 * 1000

export interface RedisSessionStoreOptions {
  keyPrefix?: string
  // How long a tombstone lives when the revoked key had no TTL (it always should have one).
  fallbackTombstoneTtlMs: number
}

function toHashFields (record: SessionRecord): string[] {
  const fields: Record<string, string | number | undefined> = {
    userId: record.userId,
    userType: record.userType,
    account: record.account,
    loginAt: record.loginAt,
    deviceId: record.deviceId,
    userAgent: record.userAgent,
    ip: record.ip,
    tokenIat: record.tokenIat
  }
  return Object.entries(fields).flatMap(([name, value]) => value === undefined ? [] : [name, String(value)])
}

function fromHash (sessionId: string, hash: Record<string, string>): SessionRecord | undefined {
  if (hash.account === undefined || hash.loginAt === undefined) return undefined
  return {
    sessionId,
    userId: Number(hash.userId),
    userType: hash.userType as UserType,
    account: hash.account,
    loginAt: Number(hash.loginAt),
    lastSeenAt: hash.lastSeenAt === undefined ? undefined : Number(hash.lastSeenAt),
    deviceId: hash.deviceId,
    userAgent: hash.userAgent,
    ip: hash.ip ?? '',
    tokenIat: hash.tokenIat === undefined ? undefined : Number(hash.tokenIat)
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

  async create (record: SessionRecord, ttlMs: number, generation: string): Promise<boolean> {
    const { keys } = this
    const created = await callRedis(() => this.redis.sessionCreate(
      keys.session(record.userId, record.sessionId), keys.index(record.userId), keys.generation(record.userId),
      ttlMs, record.loginAt, record.sessionId, keys.sessionPrefix(record.userId),
      generation, INDEX_TTL_SLACK_MS, ...toHashFields(record)
    ))
    return created === 1
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
        const [, account, reissuedIat, expiresInMs, tokenIat] = reply
        return {
          status: 'alive',
          account,
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
      ttlMs, record.loginAt, sessionId, INDEX_TTL_SLACK_MS, ...toHashFields(record)
    ))
    return reply === 'alive' ? { status: 'alive' } : { status: 'ended', reason: reply as SessionEndReason }
  }

  async find (userId: number, sessionId: string): Promise<SessionRecord | undefined> {
    const hash = await callRedis(() => this.redis.hgetall(this.keys.session(userId, sessionId)))
    return fromHash(sessionId, hash)
  }

  async list (userId: number): Promise<SessionRecord[]> {
    const { keys } = this
    const indexKey = keys.index(userId)
    // The index is scored by login time: newest first straight from Redis.
    const sessionIds = await callRedis(() => this.redis.zrange(indexKey, '0', '-1', 'REV'))
    if (sessionIds.length === 0) return []
    const pipeline = this.redis.pipeline()
    for (const sessionId of sessionIds) pipeline.hgetall(keys.session(userId, sessionId))
    const hashes = await execPipeline(pipeline)
    const records: SessionRecord[] = []
    const gone: string[] = []
    sessionIds.forEach((sessionId, i) => {
      const record = fromHash(sessionId, (hashes[i] ?? {}) as Record<string, string>)
      if (record) records.push(record)
      else gone.push(sessionId)
    })
    if (gone.length > 0) await callRedis(() => this.redis.zrem(indexKey, ...gone))
    return records
  }

  async revoke (userId: number, sessionId: string, reason: SessionEndReason): Promise<boolean> {
    const { keys } = this
    const revoked = await callRedis(() => this.redis.sessionRevoke(
      keys.session(userId, sessionId), keys.index(userId), keys.tombstone(userId, sessionId),
      sessionId, reason, this.options.fallbackTombstoneTtlMs
    ))
    return revoked === 1
  }

  async revokeAll (userId: number, reason: SessionEndReason, filter: RevokeFilter = {}): Promise<number> {
    const { keys } = this
    return await callRedis(() => this.redis.sessionRevokeAll(
      keys.index(userId), keys.generation(userId), keys.sessionPrefix(userId), keys.tombstonePrefix(userId),
      reason, filter.deviceId ?? EVERY_DEVICE, this.options.fallbackTombstoneTtlMs, GENERATION_TTL_MS
    ))
  }

  async ping (): Promise<void> {
    await callRedis(() => this.redis.ping())
  }
}
