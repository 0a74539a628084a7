import { Type } from '@sinclair/typebox'
import { UserBanSchema } from './ban-schemas.js'
import { OwnUserIdSchema, PAGE_SIZE_MAX, UserTypeSchema } from './field-schemas.js'
import { DateTime, NullableInteger } from './schema-types.js'

// This server's users as GET /admin/users lists them: a page by id, each user with its ban.

export const ListedUserSchema = Type.Object({
  userId: OwnUserIdSchema,
  account: Type.String(),
  userType: UserTypeSchema,
  createdAt: DateTime(),
  ban: UserBanSchema
})

export const UserListSchema = Type.Object({
  users: Type.Array(ListedUserSchema, { maxItems: PAGE_SIZE_MAX }),
  next: NullableInteger({ description: 'the after of the next page; null on the last' })
})
