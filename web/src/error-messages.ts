import { AuthError } from './sdk.js'

// Error codes that mean "no session": the SDK has already called onSessionEnded for them.
const SESSION_ENDING_CODES = new Set(['1001', '1002', '1004'])

// How one action words some error codes, by errorCode: a 1010 of the sign-in form is a wrong
// account or password, a 1404 of a delete is a note that no longer exists.
export type Wordings = Readonly<Partial<Record<string, string>>>

export function endsSession (error: unknown): boolean {
  return error instanceof AuthError && SESSION_ENDING_CODES.has(error.errorCode)
}

// A sentence for a failed action: the action's own wording of the code, else the page's.
export function failureMessage (error: unknown, wordings: Wordings = {}): string {
  if (!(error instanceof AuthError)) return 'Could not reach the server. Check your connection and try again.'
  const worded = wordings[error.errorCode]
  if (worded !== undefined) return worded
  switch (error.errorCode) {
    case '1010': return 'The password is wrong.'
    case '1029': return 'Too many attempts. Wait a few minutes, then try again.'
    case '1400': return `That was not accepted: ${error.info}.`
    case '1403': return `That is not allowed: ${error.info}.`
    case '1404': return 'That no longer exists.'
    case '1409': return 'That exists already.'
    case '1503': return 'The server is unavailable right now (this does not sign you out). Try again in a moment.'
    default: return `Something went wrong (${error.errorCode}). Try again.`
  }
}
