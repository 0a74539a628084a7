import { createHash } from 'node:crypto'
import type { UserId } from '../users/user-id.js'

// The session events: names and fields are a public contract (docs/events.md), read by whatever
// consumes the audit log, the Redis Stream or the webhook.
export const SESSION_EVENT_TYPES = [
  'login.succeeded', 'login.failed', 'session.created', 'session.ended',
  'refresh.rotated', 'refresh.reused', 'password.changed', 'rate_limited',
  // The admin CLI's own actions (bin/admin.ts): what an audit trail must show besides sessions.
  'user.role_changed', 'keys.generated', 'keys.listed',
  // A ban stored or lifted (docs/sessions.md, "Bans"), by an admin, the CLI, a service or the app's code.
  'user.banned', 'user.unbanned',
  // The second factor (docs/api.md, "Second factor"): a right password waiting for its code, and
  // the factor turned on or off.
  'login.second_factor_required', 'second_factor.enabled', 'second_factor.disabled',
  // Account recovery (docs/recovery.md): a reset link asked for, and one used.
  'password.reset_requested', 'password.reset'
] as const
export type SessionEventType = typeof SESSION_EVENT_TYPES[number]

// Every event has every field; one that does not apply to it is null.
export interface SessionEvent {
  type: SessionEventType
  // ISO 8601, UTC, milliseconds.
  at: string
  userId: UserId | null
  sessionId: string | null
  deviceId: string | null
  // session.ended: why (docs/api.md's reasons); login.failed: how; rate_limited: which budget;
  // user.banned: the ban's reason, in the words it was given.
  reason: string | null
  // The client of the request that caused it; null for what no request caused (idle expiry).
  ip: string | null
  // login.*, password.reset_requested: the account's digest (accountDigest), never the account itself.
  account: string | null
  // rate_limited: how many refusals this event stands for (docs/events.md).
  count: number | null
  // Who acted on a user's sessions, role or the keys, other than the user: `admin:<userId>`
  // (an admin route), `cli` (the admin CLI); null for what the session's own user or no one did.
  actor: string | null
  // session.created: how the user signed in (`password` for this server's own login, or the
  // label the app gave app.sessions.start or POST /service/sessions); null when none was given.
  authMethod: string | null
  // session.created, session.ended: the session's device type (SESSION_DEVICE_RULES), null when it
  // has none or an idle expiry ended it (its record is gone); login.failed (device_type_full): the
  // type the refused login asked for.
  deviceType: string | null
  // session.created: how the user proved who they are (RFC 8176 amr: ["pwd"], ["pwd", "otp"], or
  // what the app gave app.sessions.start); null in the other events.
  amr: string[] | null
}

export type SessionEventFields = Partial<Omit<SessionEvent, 'type' | 'at' | 'amr'>> & { amr?: readonly string[] }

export function sessionEvent (type: SessionEventType, nowMs: number, fields: SessionEventFields): SessionEvent {
  return {
    type,
    at: new Date(nowMs).toISOString(),
    userId: fields.userId ?? null,
    sessionId: fields.sessionId ?? null,
    deviceId: fields.deviceId ?? null,
    reason: fields.reason ?? null,
    ip: fields.ip ?? null,
    account: fields.account ?? null,
    count: fields.count ?? null,
    actor: fields.actor ?? null,
    authMethod: fields.authMethod ?? null,
    deviceType: fields.deviceType ?? null,
    amr: fields.amr === undefined ? null : [...fields.amr]
  }
}

// An e-mail address is personal data, and events travel to logs and third parties: they carry
// this digest instead, which tells the attempts on one account apart from those on another (an
// operator who knows an account computes its digest the same way: SHA-256, hex).
export function accountDigest (normalizedAccount: string): string {
  return createHash('sha256').update(normalizedAccount).digest('hex')
}
