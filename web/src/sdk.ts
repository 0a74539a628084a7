// The page uses the client SDK from source: esbuild bundles it into app.js, nothing is fetched
// from elsewhere at run time.
export { AuthError, authErrorFrom, cookieStorage, createAuthClient, ERROR_CODES } from '../../sdk/src/index.js'
export { CHALLENGE_EXPIRED_REASON } from '../../contract/api-contract.js'
export type { AuthClient, ErrorCode, Me, SessionEndReason, SessionInfo } from '../../sdk/src/index.js'
