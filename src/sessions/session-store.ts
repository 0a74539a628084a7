import type { SessionEndReason } from '../errors/api-errors.js'
import type { UserType } from '../tokens/session-claims.js'
import type { UserId } from '../users/user-id.js'
import type { UserBan } from './user-ban.js'

// What a session remembers. Never the token: only the id that is also inside it.
export interface SessionRecord {
  sessionId: string
  userId: UserId
  userType: UserType
  account: string
  loginAt: number
  lastSeenAt?: number
  deviceId?: string
  // The device label made at login ("Chrome 131 on macOS", see deviceLabel); a session stored
  // before labels holds the User-Agent header itself.
  userAgent?: string
  ip: string
  // The iat of the one token that is current, kept only where tokens are reissued.
  tokenIat?: number
  // The type whose SESSION_DEVICE_RULES it follows, if any.
  deviceType?: string
  // Its own idle TTL and absolute lifetime (seconds), set only where they differ from the policy's.
  idleTtlSeconds?: number
  maxLifetimeSeconds?: number
  // rememberMe: false at its start: its cookies end with the browser session.
  notRemembered?: boolean
  // When the user last proved who they are in it; undefined: at login (loginAt).
  authAt?: number
  // How the user proved who they are (RFC 8176 amr values); undefined: ["pwd"], a password login.
  amr?: readonly string[]
}

// The cap a device rule puts on the user's sessions of the new session's type.
export interface DeviceCap {
  deviceType: string
  maxSessions: number
  // Refuse the new session rather than end the oldest of its type.
  refuseNew: boolean
}

export interface TouchRequest {
  // The new TTL; 0 leaves it alone (fixed lifetime, or the refresh strategy's access tokens).
  ttlMs: number
  // Whether ttlMs is the time left to the absolute deadline, shorter than the full TTL.
  ttlIsDeadline: boolean
  nowMs: number
  // The presented token's iat, and when a token that old is reissued (0: never).
  tokenIat: number
  reissueAfterSeconds: number
  // How long the token a reissue replaced keeps working.
  reissueGraceMs: number
  // The TTL is reset only once the session has lost this much of it (throttled slide).
  slideEveryMs: number
  // For a session with its own idle TTL or absolute lifetime (a device rule, rememberMe: false),
  // which the store computes its TTL from instead: the token's auth_time (seconds), whether the
  // request slides the session, whether the TTL stops at the deadline, and the policy's idle TTL
  // and absolute lifetime (seconds, 0: none) for what the session does not set itself.
  loginTimeSeconds: number
  slides: boolean
  ttlStopsAtDeadline: boolean
  policyIdleTtlSeconds: number
  policyMaxLifetimeSeconds: number
  // False for a request that must not keep the session alive (a route's `slide: false`): it
  // moves neither the TTL nor "last seen", whatever ttlMs says.
  keepAlive: boolean
}

// What a touch tells of a session beyond its being alive.
export interface TouchedSessionFacts {
  deviceType?: string
  notRemembered?: boolean
  // A session with its own idle TTL or lifetime: the TTL the touch slides it to (0: none) and the
  // slide interval that goes with it.
  ownTtl?: { ttlMs: number, slideEveryMs: number }
  // When its absolute lifetime ends, in ms since the epoch; none without one.
  deadlineMs?: number
  // The touch wrote the session (a slide, "last seen", a reissue): a near-cache hears of that
  // write as of anyone's, and drops what the touch read.
  wroteSession?: boolean
}

export type TouchResult =
  // `reissuedIat`: hand the client the session's current token, which has this iat.
  // `expiresInMs`: the session's remaining TTL after this touch (negative: none set);
  // `tokenIat`: the iat of the session's current token, where reissue tracks it.
  // `userType`: the one stored with the session, which is what the request is allowed to be.
  // `authAt`: when the user last proved who they are in the session (ms since the epoch); `amr`: how.
  | ({ status: 'alive', account: string, userType: string, reissuedIat?: number, expiresInMs: number, tokenIat?: number, authAt: number, amr: readonly string[] } & TouchedSessionFacts)
  | { status: 'ended', reason: SessionEndReason }
  // The token was replaced by a reissue and its grace window is over.
  | { status: 'replaced' }

// A session a store call ended, with what its record said of it before it went: the events
// (session.ended) tell its device type, which nothing can read once the record is gone.
export interface EndedSession {
  sessionId: string
  // Its SESSION_DEVICE_RULES type; undefined when it had none.
  deviceType?: string
  // Its userIdKind field (session-user-id.ts): set for a user id of digits started as a string.
  userIdKind?: string
}

export type CreateResult =
  // `evicted`: the user's oldest sessions this login ended to stay within the cap; `replaced`:
  // the oldest of its device type it ended to stay within that type's cap.
  | { created: true, evicted: EndedSession[], replaced: EndedSession[] }
  // A revoke-all has moved the generation since it was read, the device type's cap refuses
  // new sessions (`deviceTypeFull`), or (`ban`) the user is banned: nothing stored.
  | { created: false, deviceTypeFull?: true, ban?: UserBan }

export type ResumeResult = { status: 'alive' } | { status: 'ended', reason: SessionEndReason }

export type MarkAuthenticatedResult = { status: 'marked' } | { status: 'ended', reason: SessionEndReason }

// Which of a user's sessions a revoke-all ends; none set: every one.
export interface RevokeFilter {
  // Only the sessions logged in with this device id.
  deviceId?: string
  // Every session but this one: the caller's own, which signs the others out (logout-others).
  exceptSessionId?: string
}

// The storage boundary of the session engine. Every method is one atomic step in the store;
// a store that cannot be reached throws a 503 error (1503), never reports "no session".
export interface SessionStore {
  // The user's session generation: read it before checking a password and hand it to create.
  generation: (userId: UserId) => Promise<string>
  // Nothing stored when a revoke-all has moved the generation since it was read. Beyond
  // `maxSessions` (0: no cap) the user's oldest sessions end, reason 'evicted', in the same step.
  // `deviceCap`: beyond it, the oldest of the type end (reason 'replaced') or nothing is stored,
  // decided in one atomic step with the creation.
  create: (record: SessionRecord, ttlMs: number, generation: string, maxSessions: number, deviceCap?: DeviceCap) => Promise<CreateResult>
  // Checks that the session exists and this token is its current one, resets its TTL and
  // decides a reissue, in one round trip.
  touch: (userId: UserId, sessionId: string, request: TouchRequest) => Promise<TouchResult>
  // What `touch` would answer, when the store can tell without a round trip (a near-cache
  // hit); undefined when only `touch` can. Synchronous, so a hit costs no promise.
  touchCached?: (userId: UserId, sessionId: string, request: TouchRequest) => TouchResult | undefined
  // Sets the session's TTL, re-creating it from `record` if the store lost it; a session that
  // was ended (it left a tombstone) stays ended.
  resume: (record: SessionRecord, ttlMs: number) => Promise<ResumeResult>
  find: (userId: UserId, sessionId: string) => Promise<SessionRecord | undefined>
  // The user's sessions, newest first, read in bounded batches.
  list: (userId: UserId) => Promise<SessionRecord[]>
  // The session it ended; undefined when there was none to end.
  revoke: (userId: UserId, sessionId: string, reason: SessionEndReason) => Promise<EndedSession | undefined>
  // Records that the user proved who they are in this session at `authAtMs` (a re-authentication);
  // an ended session stays ended. Its TTL is left alone.
  markAuthenticated: (userId: UserId, sessionId: string, authAtMs: number) => Promise<MarkAuthenticatedResult>
  // In bounded batches; ending every session first moves the generation (a cut-off). A filtered
  // revoke-all moves nothing: it ends the sessions it finds, and a login racing it may survive.
  // Replies the sessions it ended.
  revokeAll: (userId: UserId, reason: SessionEndReason, filter?: RevokeFilter) => Promise<EndedSession[]>
  // Stores the user's ban, replacing any, for `ttlMs` (undefined: until lifted). From then on
  // `create` stores nothing for the user; ending the sessions they have is the caller's next step.
  ban: (userId: UserId, ban: UserBan, ttlMs: number | undefined) => Promise<void>
  // Lifts the user's ban; false when there was none.
  unban: (userId: UserId) => Promise<boolean>
  findBan: (userId: UserId) => Promise<UserBan | undefined>
  // The bans of several users, in the order of `userIds`, read together (a page of a user list).
  findBans: (userIds: readonly UserId[]) => Promise<Array<UserBan | undefined>>
  ping: () => Promise<void>
}
