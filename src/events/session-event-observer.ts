import type { Clock } from '../clock.js'
import type { SessionEndReason } from '../errors/api-errors.js'
import type {
  AuthEvents, BanSubject, CreatedSession, EndedSessions, EventSubject, LoginResult, LoginSubject, RateLimitBucket, RefreshOutcome,
  SecondFactorChange
} from '../metrics/auth-events.js'
import { startedUserId } from '../sessions/session-user-id.js'
import { accountDigest, sessionEvent, type SessionEvent, type SessionEventFields, type SessionEventType } from './session-event.js'

export type PublishSessionEvent = (event: SessionEvent) => void

// The services' observer calls as session events: the same points the metrics count, told who and
// which session. Each call is one event, or one per session it ended; outcomes that are not
// events (a refresh replayed within its grace, an invalid refresh token) are left out.
export class SessionEventObserver implements AuthEvents {
  constructor (private readonly publish: PublishSessionEvent, private readonly clock: Clock) {}

  // The deviceType the login asked for is told where it is why the login failed (device_type_full);
  // a session started tells its type in session.created.
  loginAttempted (result: LoginResult, login: LoginSubject): void {
    const { account, repeatedRefusal, deviceType, ...subject } = login
    if (result === 'success') this.emit('login.succeeded', { ...subject, account: accountDigest(account) })
    // The password was right: not a failure, but the login is not done either.
    else if (result === 'second_factor_required') this.emit('login.second_factor_required', { ...subject, account: accountDigest(account) })
    else if (result === 'device_type_full') this.emit('login.failed', { ...subject, account: accountDigest(account), reason: result, deviceType })
    else if (result !== 'rate_limited' || repeatedRefusal !== true) this.emit('login.failed', { ...subject, account: accountDigest(account), reason: result })
  }

  sessionCreated (session: CreatedSession): void {
    this.emit('session.created', session)
  }

  // Each session is told under the user id it was started with where its record said so: a path
  // (`/service/users/777/...`) names "777" and 777 alike, and a session of "777" stays "777".
  sessionsEnded (reason: SessionEndReason, _count: number, ended: EndedSessions): void {
    const { userId, ip, actor } = ended
    for (const { sessionId, deviceType, userIdKind } of ended.sessions) {
      const startedAs = userIdKind === undefined ? userId : startedUserId(userId, userIdKind)
      this.emit('session.ended', { userId: startedAs, sessionId, ip, reason, actor, deviceType })
    }
  }

  refreshAttempted (outcome: RefreshOutcome, subject: EventSubject): void {
    if (outcome === 'rotated') this.emit('refresh.rotated', subject)
    if (outcome === 'reused') this.emit('refresh.reused', subject)
  }

  // One event per budget, key and window: the refusals after the first are counted in the next.
  rateLimited (bucket: RateLimitBucket, subject: EventSubject, told: number): void {
    if (told > 0) this.emit('rate_limited', { ...subject, reason: bucket, count: told })
  }

  passwordChanged (subject: EventSubject): void {
    this.emit('password.changed', subject)
  }

  passwordResetRequested (request: LoginSubject): void {
    const { account, repeatedRefusal: _repeated, ...subject } = request
    this.emit('password.reset_requested', { ...subject, account: accountDigest(account) })
  }

  passwordReset (succeeded: boolean, subject: EventSubject): void {
    if (succeeded) this.emit('password.reset', subject)
  }

  passwordHashed (): void {}

  userBanned (subject: BanSubject): void {
    this.emit('user.banned', subject)
  }

  userUnbanned (subject: BanSubject): void {
    this.emit('user.unbanned', subject)
  }

  secondFactorChanged (change: SecondFactorChange, subject: EventSubject): void {
    this.emit(change === 'enabled' ? 'second_factor.enabled' : 'second_factor.disabled', subject)
  }

  private emit (type: SessionEventType, fields: SessionEventFields): void {
    this.publish(sessionEvent(type, this.clock(), fields))
  }
}
