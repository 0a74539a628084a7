import type { Result } from 'ioredis'
import type { SessionEndReason } from '../../errors/api-errors.js'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import { luaFieldNames, type SessionField } from '../session-fields.js'
import type { OneSessionKeys } from '../session-keys.js'
import type { MarkAuthenticatedResult } from '../session-store.js'

export type MarkAuthenticatedKeys = Pick<OneSessionKeys, 'sessionKey' | 'tombstoneKey'>

export interface MarkAuthenticatedArgs {
  // When the user proved who they are, in ms since the epoch.
  authAtMs: number
}

const MARKED_FIELDS: readonly SessionField[] = ['loginAt', 'authAt']

// Only a live session is marked: a session that ended in the meantime must not come back as a
// hash without its other fields. The write reaches every instance's near-cache as an
// invalidation, so each reads the new authAt at its next check. authAt is stored only while it
// differs from loginAt, as a new session has none.
const MARK_AUTHENTICATED_LUA = `
local sessionKey = KEYS[1]
local tombstoneKey = KEYS[2]
local authAtMs = ARGV[1]
-- Replies {'marked', ''}, or {'ended', the reason the session ended}.
-- Every session has its login time.
local loginAtField, authAtField = ${luaFieldNames(MARKED_FIELDS)}
if redis.call('HEXISTS', sessionKey, loginAtField) == 0 then
  -- A session stored with the long field names is written in those.
  loginAtField, authAtField = ${luaFieldNames(MARKED_FIELDS, 'long')}
  if redis.call('HEXISTS', sessionKey, loginAtField) == 0 then
    return {'ended', redis.call('GET', tombstoneKey) or 'expired'}
  end
end
if redis.call('HGET', sessionKey, loginAtField) == authAtMs then
  redis.call('HDEL', sessionKey, authAtField)
else
  redis.call('HSET', sessionKey, authAtField, authAtMs)
end
return {'marked', ''}
`

export const markAuthenticatedScript: LuaScript<MarkAuthenticatedKeys, MarkAuthenticatedArgs> = {
  command: 'sessionMarkAuthenticated',
  lua: MARK_AUTHENTICATED_LUA,
  keys: ['sessionKey', 'tombstoneKey'],
  args: ['authAtMs']
}

type MarkAuthenticatedReply = [status: 'marked' | 'ended', endReason: string]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionMarkAuthenticated: (...call: ScriptCall) => Result<MarkAuthenticatedReply, Context>
  }
}

export function markAuthenticatedCall (keys: MarkAuthenticatedKeys, args: MarkAuthenticatedArgs): ScriptCall {
  return scriptCall(markAuthenticatedScript, keys, args)
}

export function decodeMarkAuthenticatedReply ([status, endReason]: MarkAuthenticatedReply): MarkAuthenticatedResult {
  return status === 'marked' ? { status } : { status, reason: endReason as SessionEndReason }
}
