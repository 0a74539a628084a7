import type { InjectOptions } from 'fastify'
import { normalizeAccount } from '../../src/users/account.js'
import { userIdKey } from '../../src/users/user-id.js'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'
import type { Cast, Player } from './cast.js'
import { bearerTokenOf, isSameSession, sessionSignedFor } from './forged-tokens.js'

// Which generated requests may change the victim's session: those the victim, an admin or a
// backend may make. Every other request must leave it as it was.

// The tokens a request presents, wherever it puts them.
function presentedTokens (request: InjectOptions): string[] {
  const headers = (request.headers ?? {}) as Record<string, string>
  const cookie = headers.cookie?.match(/(?:^|; )accessToken=([^;]*)/)?.[1]
  return [headers.token, bearerTokenOf(headers.authorization), cookie].filter((token) => token !== undefined)
}

// No attack on the victim's session: a token signed with the server's key for that session (the
// real one, or one with other claims) speaks for it; an admin may revoke it or ban the victim; the
// backend may start and end any user's sessions, and ban any user.
export function isLegitimateForVictim (request: InjectOptions & { url: string }, cast: Cast): boolean {
  const sessions = presentedTokens(request).map((token) => sessionSignedFor(token, TEST_JWT_SECRET))
  if (sessions.some((session) => isSameSession(session, cast.victim))) return true
  if (isBackendActingOn(request, cast)) return namesUserInPath(request.url, cast.victim) || namesUser(request.payload, cast.victim)
  if (!sessions.some((session) => isSameSession(session, cast.admin))) return false
  if (request.method === 'POST' && request.url.endsWith('/ban')) return namesUserInPath(request.url, cast.victim)
  return request.url === '/admin/revoke' && namesUser(request.payload, cast.victim)
}

// The /service/ routes start sessions with POST, end them with DELETE and ban with PUT; what the
// backend reads (GET, and the HEAD beside it) must change nothing, the victim's sessions included.
const CHANGING_METHODS = new Set(['POST', 'DELETE', 'PUT'])

// The backend's key as Bearer, on a route that changes sessions. (For the key itself the server's
// stricter reading of the header, src/service-keys/service-key-ring.ts, finds the same.)
function isBackendActingOn (request: InjectOptions & { url: string }, cast: Cast): boolean {
  const headers = (request.headers ?? {}) as Record<string, string>
  return request.url.startsWith('/service/') && CHANGING_METHODS.has(String(request.method)) &&
    bearerTokenOf(headers.authorization) === cast.serviceKeys.backend
}

// `/service/users/{userId}/...` or `/admin/users/{userId}/...`: the path names the user as the
// router decodes it; 123 and "123" are one user.
function namesUserInPath (url: string, player: Player): boolean {
  const segment = /^\/(?:service|admin)\/users\/([^/?]*)/.exec(url)?.[1]
  if (segment === undefined) return false
  try {
    return decodeURIComponent(segment) === userIdKey(player.userId)
  } catch {
    return segment === userIdKey(player.userId)
  }
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
