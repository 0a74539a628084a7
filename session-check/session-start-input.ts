import type { FastifyRequest } from 'fastify'
import { isIP } from 'node:net'
import { USER_TYPES, type UserType } from '../contract/api-contract.js'
import { InvalidInputError } from '../src/errors/api-errors.js'
import { deviceLabel } from '../src/sessions/device-label.js'
import { AMR_MAX_LABELS, isAmr, PASSWORD_AMR } from '../src/sessions/session-amr.js'
import { isDeviceType } from '../src/sessions/device-rules.js'
import type { SessionStart } from '../src/sessions/session-service.js'
import { ACCOUNT_MAX_LENGTH } from '../src/users/account.js'
import { isUserId, USER_ID_RULE, type UserId } from '../src/users/user-id.js'

// What the app's own code says of the session it starts (app.sessions.start).
export interface SessionStartInput {
  /** A positive integer up to 2³¹−1, or 1–64 characters of `A–Z a–z 0–9 _ -`. */
  userId: UserId
  /** @default 'user' */
  userType?: UserType
  /** The client's own name for the device, to end its sessions together later. */
  deviceId?: string
  /**
   * The kind of device (`phone`, `tv`, `web`, ...): a lowercase letter, then up to 15 of
   * `a–z 0–9 _ -`. The session follows that type's `SESSION_DEVICE_RULES`: a cap on the user's
   * sessions of the type (beyond it the oldest end with reason `replaced`, or start answers
   * 409 `"1013"`), its own idle TTL and absolute lifetime. None when absent.
   */
  deviceType?: string
  /**
   * `false`: a browser session, whose cookies have no `Max-Age`/`Expires` and whose idle timeout
   * is `SESSION_TTL_NOT_REMEMBERED` unless a device rule sets one.
   * @default true
   */
  rememberMe?: boolean
  /** How the user proved who they are (`password`, `phone_code`, `apple`, ...): told in `session.created`. */
  authMethod?: string
  /**
   * How the session was proven, as RFC 8176 `amr` values (`pwd`, `otp`, `sms`, `hwk`, `mfa`, ...;
   * up to 8 labels, each a lowercase letter then up to 15 of `a–z 0–9 _`): stored with the session,
   * shown by `GET /auth/me`, `request.user.amr` and the session list, told in `session.created`.
   * @default ['pwd'] when authMethod is 'password', else []
   * @example ['pwd', 'otp']
   */
  amr?: string[]
  /** What `GET /auth/me` and `request.user.account` show, and the `loginUser` cookie holds; none when absent. */
  account?: string
  /** The end user's IP, shown in the session list. @default request.ip */
  ip?: string
  /** The end user's User-Agent header, shown in the session list as a device label. @default the request's */
  userAgent?: string
}

export const AUTH_METHOD_PATTERN = /^[a-z][a-z0-9_]{0,31}$/
const PASSWORD_AUTH_METHOD = 'password'
const DEVICE_ID_MAX_LENGTH = 128
// As the HTTP routes' schemas refuse them (src/api/field-schemas.ts): control and format characters.
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u

function refuse (message: string): never {
  throw new InvalidInputError(`app.sessions.start: ${message}`)
}

function checkedText (value: unknown, name: string, maxLength: number): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || CONTROL_OR_FORMAT.test(value)) {
    refuse(`${name} must be a string of 1 to ${maxLength} characters without control characters`)
  }
  return value
}

// Checked as the HTTP routes check their bodies, for callers that are not: plain JavaScript, or
// values the app read from its own users' requests.
export function sessionStartOf (input: SessionStartInput, request: FastifyRequest | undefined): SessionStart {
  if (typeof input !== 'object' || input === null) refuse('the session to start must be an object')
  const { userId, userType = 'user', deviceId, deviceType, rememberMe, authMethod, amr, account, ip = request?.ip ?? '', userAgent } = input
  if (!isUserId(userId)) refuse(`userId must be ${USER_ID_RULE}`)
  if (!USER_TYPES.includes(userType)) refuse(`userType must be one of ${USER_TYPES.join(', ')}`)
  if (authMethod !== undefined && (typeof authMethod !== 'string' || !AUTH_METHOD_PATTERN.test(authMethod))) {
    refuse('authMethod must be a short label: a lowercase letter, then up to 31 of a-z 0-9 _')
  }
  if (amr !== undefined && !isAmr(amr)) {
    refuse(`amr must be a list of up to ${AMR_MAX_LABELS} short labels: each a lowercase letter, then up to 15 of a-z 0-9 _`)
  }
  if (typeof ip !== 'string' || (ip !== '' && isIP(ip) === 0)) refuse('ip must be an IPv4 or IPv6 address')
  if (userAgent !== undefined && typeof userAgent !== 'string') refuse('userAgent must be a string')
  if (deviceType !== undefined && !isDeviceType(deviceType)) refuse('deviceType must be a lowercase letter, then up to 15 of a-z 0-9 _ -')
  if (rememberMe !== undefined && typeof rememberMe !== 'boolean') refuse('rememberMe must be true or false')
  return {
    userId,
    userType,
    account: checkedText(account, 'account', ACCOUNT_MAX_LENGTH) ?? '',
    deviceId: checkedText(deviceId, 'deviceId', DEVICE_ID_MAX_LENGTH),
    ...(deviceType === undefined ? {} : { deviceType }),
    ...(rememberMe === false ? { rememberMe } : {}),
    userAgent: deviceLabel(userAgent ?? request?.headers['user-agent']),
    ip,
    authMethod,
    // Only a password login is known to be one without being told: another method proves what the app says.
    amr: amr ?? (authMethod === PASSWORD_AUTH_METHOD ? PASSWORD_AMR : [])
  }
}
