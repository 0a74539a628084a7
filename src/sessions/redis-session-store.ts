import type { Redis } from 'ioredis'
import type { SessionEndReason } from '../errors/api-errors.js'
import { callRedis, execPipeline } from '../redis/redis-failure.js'
import type { UserType } from '../tokens/session-claims.js'
import { defineSessionCommands } from './session-scripts.js'
import { sessionKeys, type SessionKeys } from './session-keys.js'
import type { RevokeFilter, SessionRecord, SessionStore, TouchResult } from './session-store.js'

const EVERY_DEVICE = ''

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
    ip: record.ip
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
    ip: hash.ip ?? ''
  }
}

export class RedisSessionStore implements SessionStore {
  private readonly keys: SessionKeys

  constructor (private readonly redis: Redis, private readonly options: RedisSessionStoreOptions) {
    this.keys = sessionKeys(options.keyPrefix)
    defineSessionCommands(redis)
  }

  async create (record: SessionRecord, ttlMs: number): Promise<void> {
    const { keys } = this
    await callRedis(() => this.redis.sessionCreate(
      keys.session(record.userId, record.sessionId), keys.index(record.userId),
      ttlMs, record.loginAt, record.sessionId, keys.sessionPrefix(record.userId),
      ...toHashFields(record)
    ))
  }

  async touch (userId: number, sessionId: string, ttlMs: number, nowMs: number): Promise<TouchResult> {
    const { keys } = this
    const [alive, value] = await callRedis(() => this.redis.sessionTouch(
      keys.session(userId, sessionId), keys.index(userId), keys.tombstone(userId, sessionId), ttlMs, nowMs
    ))
    return alive === 1 ? { alive: true, account: value } : { alive: false, reason: value as SessionEndReason }
  }

  async list (userId: number): Promise<SessionRecord[]> {
    const { keys } = this
    const indexKey = keys.index(userId)
    const sessionIds = await callRedis(() => this.redis.zrange(indexKey, '0', '-1'))
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
      keys.index(userId), keys.sessionPrefix(userId), keys.tombstonePrefix(userId),
      reason, filter.deviceId ?? EVERY_DEVICE, this.options.fallbackTombstoneTtlMs
    ))
  }

  async ping (): Promise<void> {
    await callRedis(() => this.redis.ping())
  }
}
