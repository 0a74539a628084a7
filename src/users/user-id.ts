// User ids are PostgreSQL `integer` identity values. A number outside 1..USER_ID_MAX names no
// user, and sent to PostgreSQL as an integer parameter it is an error ("out of range"), not a miss.
export const USER_ID_MAX = 2_147_483_647

export function isUserId (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= USER_ID_MAX
}

export type UserId = number
