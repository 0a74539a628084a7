import type { Wordings } from './error-messages.js'
import { authErrorFrom, ERROR_CODES, type AuthClient } from './sdk.js'

// How the page words the refusals of POST /auth/register that need more than the code says.
export const REGISTER_WORDINGS: Wordings = {
  [ERROR_CODES.forbidden]: 'New accounts cannot be made here: registration is closed on this server. Ask its administrator for an account.',
  [ERROR_CODES.accountTaken]: 'An account with that name exists already. Sign in instead, or choose another name.'
}

// Creates the account (201 {userId}); signing in is a separate step. Sent through the client's
// fetch like every request of the page, though it needs no session.
export async function registerAccount (client: AuthClient, account: string, password: string): Promise<void> {
  const response = await client.fetch('/auth/register', { method: 'POST', json: { account, password } })
  if (!response.ok) throw await authErrorFrom(response)
}
