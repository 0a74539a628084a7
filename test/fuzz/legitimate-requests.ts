import type { InjectOptions } from 'fastify'
import { normalizeAccount } from '../../src/users/account.js'
import { userIdKey } from '../../src/users/user-id.js'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'
import type { Cast, Player } from './cast.js'
import { bearerTokenOf, isSameSession, sessionSignedFor } from './forged-tokens.js'

// Which generated requests may change the victim's session: those the victim or an admin may
// make. Every other request must leave it as it was.

// The tokens a request presents, wherever it puts them.
function presentedTokens (request: InjectOptions): string[] {
  const headers = (request.headers ?? {}) as Record<string, string>
  const cookie = headers.cookie?.match(/(?:^|; )accessToken=([^;]*)/)?.[1]
  return [headers.token, bearerTokenOf(headers.authorization), cookie].filter((token) => token !== undefined)
}

// Requests the victim or an admin may make: no attack on the victim's session. A token signed
// with the server's key for a session (the real one, or one with other claims) speaks for it.
export function isLegitimateForVictim (request: InjectOptions, cast: Cast): boolean {
  const sessions = presentedTokens(request).map((token) => sessionSignedFor(token, TEST_JWT_SECRET))
  if (sessions.some((session) => isSameSession(session, cast.victim))) return true
  if (request.url !== '/admin/revoke' || !sessions.some((session) => isSameSession(session, cast.admin))) return false
  return namesUser(request.payload, cast.victim)
}

function namesUser (payload: InjectOptions['payload'], player: Player): boolean {
  let body: unknown
  try {
    body = JSON.parse(String(payload))
  } catch {
    return false
  }
  if (typeof body !== 'object' || body === null) return false
  const { userId, account } = body as Record<string, unknown>
  // `123` and `"123"` name one user.
  const namesId = (typeof userId === 'number' || typeof userId === 'string') && String(userId) === userIdKey(player.userId)
  return namesId || (typeof account === 'string' && normalizeAccount(account) === player.account)
}
