import { Type } from '@sinclair/typebox'
import type { BanLiftedBody, UserBanBody } from '../../contract/api-contract.js'
import { InvalidInputError } from '../errors/api-errors.js'
import { BAN_REASON_MAX_LENGTH } from '../sessions/user-ban.js'
import { conformingTo } from './contract-conformance.js'
import { NO_CONTROL_CHARACTERS_PATTERN } from './field-schemas.js'
import { StringEnum } from './schema-types.js'

// A ban as the admin and service routes take it and show it (docs/api.md, "Bans").

export const BanBodySchema = Type.Object({
  reason: Type.String({ minLength: 1, maxLength: BAN_REASON_MAX_LENGTH, pattern: NO_CONTROL_CHARACTERS_PATTERN, description: 'Why: shown to admins, told in user.banned' }),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'When the ban lifts by itself (ISO 8601, in the future); absent: until lifted' }))
})

export const UserBanSchema = conformingTo<UserBanBody>()(Type.Object({
  banned: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  bannedAt: Type.Optional(Type.String({ format: 'date-time' })),
  actor: Type.Optional(Type.String({ description: 'admin:<userId>, cli, service:<name>, or what the app gave' }))
}))

export const BanLiftedSchema = conformingTo<BanLiftedBody>()(Type.Object({
  result: StringEnum(['success']),
  lifted: Type.Boolean({ description: 'false: the user was not banned' })
}))

// The body's `until` as a Date, refused unless it is in the future: a ban that has already
// ended bans no one, so such a time is a mistake (a time zone, a year) to say.
export function banUntilOf (until: string | undefined, nowMs: number): Date | undefined {
  if (until === undefined) return undefined
  const date = new Date(until)
  if (Number.isNaN(date.getTime()) || date.getTime() <= nowMs) throw new InvalidInputError('body/until must be a time in the future')
  return date
}
