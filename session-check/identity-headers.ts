import type { IncomingHttpHeaders } from 'node:http'

// The headers a gateway hands a service the identity in, from GET /auth/verify's answer.
export const IDENTITY_HEADERS = { userId: 'x-user-id', userType: 'x-user-type', sessionId: 'x-session-id' } as const

// Each identity header with one or more of its hyphens written as underscores (x_user_id,
// x-user_type, x_session-id, ...). A gateway replaces X-User-Id but passes X_User_Id, which
// CGI-style stacks (WSGI, FastCGI, Puma) fold into the same variable. Node lower-cases header
// names, so these lower-case spellings are all there are: nine, computed once.
function underscoreSpellings (name: string): string[] {
  const words = name.split('-')
  const gaps = words.length - 1
  const spellings: string[] = []
  // Bit i of `mask` set: gap i is an underscore. Mask 0 is the hyphenated name itself.
  for (let mask = 1; mask < 2 ** gaps; mask++) {
    spellings.push(words.reduce((spelled, word, i) => `${spelled}${(mask >> (i - 1)) & 1 ? '_' : '-'}${word}`))
  }
  return spellings
}

const UNDERSCORE_SPELLINGS: readonly string[] = Object.values(IDENTITY_HEADERS).flatMap(underscoreSpellings)

// The first identity header of the request spelled with underscores, if any. It runs on every
// request: nine property lookups, no allocation, no scan of all the headers.
export function underscoreIdentityHeader (headers: IncomingHttpHeaders): string | undefined {
  for (let i = 0; i < UNDERSCORE_SPELLINGS.length; i++) {
    const name = UNDERSCORE_SPELLINGS[i]
    if (name !== undefined && headers[name] !== undefined) return name
  }
  return undefined
}
