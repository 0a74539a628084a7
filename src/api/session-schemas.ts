import { Type } from '@sinclair/typebox'
import type { IssuedSessionBody, RevokedCountBody, SessionListBody, SessionViewBody } from '../../contract/api-contract.js'
import { conformingTo } from './contract-conformance.js'
import { NullableString, StringEnum } from './schema-types.js'
import { AmrSchema, UserIdSchema, UserTypeSchema } from './field-schemas.js'

// The answers about sessions: the one that starts or renews one, and how one is listed. Each
// is a shape of the public contract, which its schema is checked against.

// The answer of login, refresh and password change.
export const IssuedSessionSchema = conformingTo<IssuedSessionBody>()(Type.Object({
  result: StringEnum(['success']),
  token: Type.String({ description: 'Session JWT (refresh strategy: the access token); send it in the token header' }),
  userId: UserIdSchema,
  userType: UserTypeSchema,
  sessionId: Type.String(),
  expiresIn: Type.Optional(Type.Integer({ description: 'Refresh strategy: seconds until the access token expires' })),
  refreshToken: Type.Optional(Type.String({ description: 'Refresh strategy: send it to POST /auth/refresh' })),
  refreshExpiresIn: Type.Optional(Type.Integer({ description: 'Refresh strategy: seconds until the refresh token expires' }))
}))

export type IssuedSession = IssuedSessionBody

// How a session is shown to its user or an admin: device facts, never the token.
export const SessionViewSchema = conformingTo<SessionViewBody>()(Type.Object({
  id: Type.String(),
  deviceId: NullableString(),
  deviceType: NullableString({ description: 'the deviceType its login sent, whose SESSION_DEVICE_RULES it follows' }),
  userAgent: NullableString({
    description: "a label of the browser or client made from the login's User-Agent header, e.g. 'Chrome 131 on macOS'; " +
      'a client no parser recognises keeps the start of its header (at most 64 bytes)'
  }),
  ip: Type.String(),
  loginAt: Type.Integer({ description: 'ms since epoch' }),
  lastSeenAt: Type.Optional(Type.Integer({ description: 'ms since epoch' })),
  authAt: Type.Integer({ description: 'when its user last proved who they are in it (login or re-authentication), ms since epoch' }),
  amr: AmrSchema,
  current: Type.Boolean()
}))

export type SessionView = SessionViewBody

export const SessionListSchema = conformingTo<SessionListBody>()(Type.Object({ sessions: Type.Array(SessionViewSchema) }))

export const RevokedCountSchema = conformingTo<RevokedCountBody>()(Type.Object({ result: StringEnum(['success']), revoked: Type.Integer() }))
