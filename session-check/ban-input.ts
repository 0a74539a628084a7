import { InvalidInputError } from '../src/errors/api-errors.js'
import type { BanInput } from '../src/sessions/session-service.js'
import { BAN_REASON_MAX_LENGTH } from '../src/sessions/user-ban.js'

/** A ban, as the app's code gives it to `app.sessions.ban`. */
export interface SessionBanOptions {
  /** Why, 1–200 characters without control characters: shown to admins and told in `user.banned`. */
  reason: string
  /** When the ban lifts by itself; it must be in the future. @default until `unban` */
  until?: Date
  /** The client that asked, told in the events. */
  ip?: string
  /** Who bans the user (`admin:7`, `service:billing`), told in `user.banned` and `session.ended`. */
  actor?: string
}

// As the HTTP routes' schemas refuse them (src/api/field-schemas.ts): control and format characters.
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u

function refuse (message: string): never {
  throw new InvalidInputError(`app.sessions.ban: ${message}`)
}

// Checked as the HTTP routes check their bodies, for callers that are not (plain JavaScript).
export function banInputOf (options: SessionBanOptions, nowMs: number): BanInput {
  if (typeof options !== 'object' || options === null) refuse('the ban must be an object')
  const { reason, until } = options
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > BAN_REASON_MAX_LENGTH || CONTROL_OR_FORMAT.test(reason)) {
    refuse(`reason must be a string of 1 to ${BAN_REASON_MAX_LENGTH} characters without control characters`)
  }
  if (until === undefined) return { reason }
  if (!(until instanceof Date) || Number.isNaN(until.getTime())) refuse('until must be a valid Date')
  // A ban that has already ended bans no one: a mistake (a time zone, a date in the past) to say.
  if (until.getTime() <= nowMs) refuse('until must be in the future')
  return { reason, untilMs: until.getTime() }
}
