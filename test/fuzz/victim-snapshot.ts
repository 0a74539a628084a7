import type { FastifyInstance } from 'fastify'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { userIdKey, type UserId } from '../../src/users/user-id.js'

// Everything that says whether a session lives and what it is. "Last seen" (`w`, or `s`) is left out (a
// request's own session may record it) and the TTL is reduced to "has one": it runs down.
export interface SessionSnapshot {
  record: Record<string, string>
  index: string[]
  hasTtl: boolean
  tombstone: string | null
  generation: string | null
  // The user's sessions of capped device types (SESSION_DEVICE_RULES).
  devices: string[]
  // REFRESH_STORE=postgres: the user's refresh tokens, as rows.
  refreshRows?: unknown[]
}

type PipelineResult = Array<[Error | null, unknown]> | null

export async function snapshotSession (app: FastifyInstance, userId: UserId, sessionId: string): Promise<SessionSnapshot> {
  const keys = sessionKeys(app.config.REDIS_KEY_PREFIX)
  // Read beside Redis, not after it: the fuzz takes two snapshots a request.
  const refreshRows = app.config.REFRESH_STORE === 'postgres'
    ? app.db.query(
      `SELECT digest, family, rotated_at, revoked_at, revoked_reason, expires_at FROM refresh_tokens
        WHERE user_id = $1 ORDER BY digest`, [userIdKey(userId)])
    : undefined
  const results: PipelineResult = await app.redis.pipeline()
    .hgetall(keys.session(userId, sessionId))
    .zrange(keys.index(userId), '0', '-1', 'WITHSCORES')
    .pttl(keys.session(userId, sessionId))
    .get(keys.tombstone(userId, sessionId))
    .get(keys.generation(userId))
    .zrange(keys.devices(userId), '0', '-1', 'WITHSCORES')
    .exec()
  const values = (results ?? []).map(([error, value]) => {
    if (error !== null) throw error
    return value
  })
  const { [SESSION_FIELDS.lastSeenAt]: lastSeenAt, [SESSION_FIELDS.lastSeenAfterLogin]: lastSeenAfterLogin, ...record } = values[0] as Record<string, string>
  const snapshot: SessionSnapshot = {
    record,
    index: values[1] as string[],
    hasTtl: (values[2] as number) > 0,
    tombstone: values[3] as string | null,
    generation: values[4] as string | null,
    devices: values[5] as string[]
  }
  return refreshRows === undefined ? snapshot : { ...snapshot, refreshRows: await refreshRows }
}

// The user's notes (the notes example), which no one else's request may delete.
export async function snapshotNotes (app: FastifyInstance, userId: UserId): Promise<unknown[]> {
  return await app.db.query('SELECT id, text FROM notes WHERE user_id = $1 ORDER BY id', [userIdKey(userId)])
}
