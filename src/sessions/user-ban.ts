import type { UserBanBody } from '../../contract/api-contract.js'

// A ban: while its key exists (ACCESS_TOKEN_BAN:{<userId>}, docs/redis-keys.md), no session of
// the user starts or refreshes. It lives in Redis beside the sessions, so every service that
// checks sessions enforces it without a database, and a ban with an end expires by its TTL.
export interface UserBan {
  // Why, in the words of who banned the user: shown to admins, told in user.banned.
  reason: string
  // When it lifts by itself, ms since the epoch; undefined: until lifted.
  untilMs?: number
  bannedAtMs: number
  // Who banned the user (`admin:7`, `cli`, `service:billing`), if told.
  actor?: string
}

export const BAN_REASON_MAX_LENGTH = 200

// The key's value: a small JSON object, read whole by the create script and handed back as is.
interface StoredBan {
  reason: string
  until?: number
  at: number
  actor?: string
}

export function encodeBan (ban: UserBan): string {
  const stored: StoredBan = { reason: ban.reason, until: ban.untilMs, at: ban.bannedAtMs, actor: ban.actor }
  return JSON.stringify(stored)
}

function isStoredBan (value: unknown): value is StoredBan {
  if (typeof value !== 'object' || value === null) return false
  const { reason, until, at, actor } = value as Partial<Record<keyof StoredBan, unknown>>
  return typeof reason === 'string' && typeof at === 'number' &&
    (until === undefined || typeof until === 'number') && (actor === undefined || typeof actor === 'string')
}

// A value this server did not write (set by hand, say) still bans: the key's presence is the ban.
export function decodeBan (value: string): UserBan {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    parsed = undefined
  }
  if (!isStoredBan(parsed)) return { reason: '', bannedAtMs: 0 }
  return {
    reason: parsed.reason,
    bannedAtMs: parsed.at,
    ...(parsed.until === undefined ? {} : { untilMs: parsed.until }),
    ...(parsed.actor === undefined ? {} : { actor: parsed.actor })
  }
}

// When the ban lifts, as answers say it (ISO 8601), or undefined for a ban until lifted.
export function banUntil (ban: UserBan): string | undefined {
  return ban.untilMs === undefined ? undefined : new Date(ban.untilMs).toISOString()
}

// How GET /admin/users/:userId/ban shows a user's ban.
export function toUserBanBody (ban: UserBan | undefined): UserBanBody {
  if (ban === undefined) return { banned: false }
  const until = banUntil(ban)
  return {
    banned: true,
    reason: ban.reason,
    ...(until === undefined ? {} : { until }),
    bannedAt: new Date(ban.bannedAtMs).toISOString(),
    ...(ban.actor === undefined ? {} : { actor: ban.actor })
  }
}
