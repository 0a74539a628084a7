export { createAuthClient } from './auth-client.js'
export { AuthError, authErrorFrom, NotReplayableError } from './errors.js'
export { cookieStorage, localStorageStorage, memoryStorage } from './token-storage.js'
export type { StoredTokens, TokenStorage, WebStorageLike } from './token-storage.js'
export type {
  AuthClient, AuthClientOptions, AuthFetchInit, LoginAnswer, LoginOptions, LoginResult, Me, SecondFactorRequired, SessionInfo, TotpSetup
} from './types.js'
export { SESSION_END_REASONS } from './session-end-reason.js'
export type { SessionEndReason } from './session-end-reason.js'
// The public contract the SDK shares with the server (contract/api-contract.ts, shipped in this package).
export { ERROR_CODES, SERVER_END_REASONS } from '../../contract/api-contract.js'
export type { ErrorCode, ServerEndReason, UserId, UserType } from '../../contract/api-contract.js'
