import { keyHidesStringUserId, userIdKey, userIdOfKey, type UserId } from '../users/user-id.js'

// A session's record does not repeat its user id: its key names the user (`{<userId>}`). The key
// gives back a string of digits such as "123" as the number 123, so such a session is marked in
// its `userIdKind` field, and a refresh or a listing hands back the id the session was started with.
const STRING_USER_ID = 'string'

// The `userIdKind` value a session of this user id is stored with; undefined: none needed.
export function userIdKindOf (userId: UserId): string | undefined {
  return keyHidesStringUserId(userId) ? STRING_USER_ID : undefined
}

// The id a session was started with, from the id its key names (whichever kind the caller named
// the user by) and its `userIdKind` field.
export function startedUserId (userId: UserId, userIdKind: string | undefined): UserId {
  return userIdKind === STRING_USER_ID ? userIdKey(userId) : userIdOfKey(userIdKey(userId))
}
