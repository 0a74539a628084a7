import { AuthError } from './sdk.js'

// Error codes that mean "no session": the SDK has already called onSessionEnded for them.
const SESSION_ENDING_CODES = new Set(['1001', '1002', '1004'])

export function endsSession (error: unknown): boolean {
  return error instanceof AuthError && SESSION_ENDING_CODES.has(error.errorCode)
}

// A sentence for a failed action; `wrongPassword` words the 1010 of the form that failed.
export function failureMessage (error: unknown, wrongPassword = 'The password is wrong.'): string {
  if (!(error instanceof AuthError)) return 'Could not reach the server. Check your connection and try again.'
  switch (error.errorCode) {
    case '1010': return wrongPassword
    case '1029': return 'Too many attempts. Wait a few minutes, then try again.'
    case '1400': return `That was not accepted: ${error.info}.`
    case '1404': return 'That session no longer exists.'
    case '1503': return 'The server is unavailable right now (this does not sign you out). Try again in a moment.'
    default: return `Something went wrong (${error.errorCode}). Try again.`
  }
}
