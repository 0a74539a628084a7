import { AuthError, ERROR_CODES, type ErrorCode } from './sdk.js'

// Error codes that mean "no session": the SDK has already called onSessionEnded for them.
const SESSION_ENDING_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  ERROR_CODES.invalidToken, ERROR_CODES.sessionEnded, ERROR_CODES.invalidRefreshToken
])

// How one action words some error codes: a wrong password (1010) of the sign-in form is a wrong
// account or password, a not found (1404) of a delete is a note that no longer exists.
export type Wordings = Readonly<Partial<Record<ErrorCode, string>>>

export function endsSession (error: unknown): boolean {
  return error instanceof AuthError && SESSION_ENDING_CODES.has(error.errorCode)
}

function isErrorCode (code: string): code is ErrorCode {
  return (Object.values(ERROR_CODES) as string[]).includes(code)
}

// The ban's end in the reader's own time zone and language; the server sends it in UTC.
function accountDisabledMessage (until: string | undefined): string {
  if (until === undefined) return 'This account is disabled.'
  return `This account is disabled until ${new Date(until).toLocaleString()}.`
}

// A sentence for a failed action: the action's own wording of the code, else the page's.
export function failureMessage (error: unknown, wordings: Wordings = {}): string {
  if (!(error instanceof AuthError)) return 'Could not reach the server. Check your connection and try again.'
  const code = error.errorCode
  const worded = isErrorCode(code) ? wordings[code] : undefined
  if (worded !== undefined) return worded
  switch (code) {
    case ERROR_CODES.wrongCredentials: return 'The password is wrong.'
    case ERROR_CODES.tooManyRequests: return 'Too many attempts. Wait a few minutes, then try again.'
    case ERROR_CODES.invalidInput: return `That was not accepted: ${error.info}.`
    case ERROR_CODES.forbidden: return `That is not allowed: ${error.info}.`
    case ERROR_CODES.notFound: return 'That no longer exists.'
    case ERROR_CODES.accountTaken: return 'That exists already.'
    case ERROR_CODES.deviceTypeFull: return 'This account is signed in on as many devices of this kind as it may be. Sign out on one of them, then try again.'
    case ERROR_CODES.recentAuthRequired: return 'Not done: this needs a recent sign-in. Try again and enter your password when asked.'
    case ERROR_CODES.unavailable: return 'The server is unavailable right now (this does not sign you out). Try again in a moment.'
    case ERROR_CODES.accountDisabled: return accountDisabledMessage(error.until)
    case ERROR_CODES.secondFactorRequired: return 'Enter the code from your authenticator app, or a backup code.'
    case ERROR_CODES.invalidResetToken: return 'This reset link is invalid, was used already, or has expired. Ask for a new one.'
    default: return `Something went wrong (${code}). Try again.`
  }
}
