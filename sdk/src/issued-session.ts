import type { IssuedSessionBody } from '../../contract/api-contract.js'
import { isUserId } from './api-answers.js'
import type { StoredTokens } from './token-storage.js'

// What the SDK keeps of the answer of login, refresh and password change.
export type IssuedSession = Pick<IssuedSessionBody, 'token' | 'refreshToken' | 'userId' | 'userType' | 'sessionId'>

export function asIssuedSession (value: unknown): IssuedSession {
  if (typeof value === 'object' && value !== null) {
    const { token, refreshToken, userId, userType, sessionId } = value as Record<string, unknown>
    if (typeof token === 'string' && isUserId(userId) && typeof sessionId === 'string' &&
        (userType === 'user' || userType === 'admin') &&
        (refreshToken === undefined || typeof refreshToken === 'string')) {
      return { token, userId, userType, sessionId, ...(refreshToken === undefined ? {} : { refreshToken }) }
    }
  }
  throw new Error('The server answered with an unexpected session')
}

export function tokensOf (issued: IssuedSession): StoredTokens {
  const { token, refreshToken, sessionId } = issued
  return refreshToken === undefined ? { token, sessionId } : { token, refreshToken, sessionId }
}
