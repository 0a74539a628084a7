import type { Result } from 'ioredis'
import type { SessionEndReason } from '../../errors/api-errors.js'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import type { OneSessionKeys } from '../session-keys.js'
import type { ResumeResult } from '../session-store.js'

export interface ResumeSessionArgs {
  ttlMs: number
  // The index's score for the session, should it be re-created.
  loginAt: number
  sessionId: string
  // The index outlives its sessions by this much, so that extending it is a rare write.
  indexSlackMs: number
}

// For refresh tokens kept outside Redis: they may outlive a Redis that lost its data, and
// then bring their session back. A tombstone means it was ended on purpose: never revive it.
const RESUME_SESSION_LUA = `
local sessionKey = KEYS[1]
local indexKey = KEYS[2]
local tombstoneKey = KEYS[3]
local ttlMs = tonumber(ARGV[1])
local loginAt = ARGV[2]
local sessionId = ARGV[3]
local indexSlackMs = tonumber(ARGV[4])
local hashFields = {unpack(ARGV, 5)}
-- Replies {'alive', ''}, or {'ended', the reason the session ended}.
if redis.call('EXISTS', sessionKey) == 0 then
  local reason = redis.call('GET', tombstoneKey)
  if reason then return {'ended', reason} end
  redis.call('HSET', sessionKey, unpack(hashFields))
  redis.call('ZADD', indexKey, loginAt, sessionId)
end
redis.call('PEXPIRE', sessionKey, ttlMs)
if redis.call('PTTL', indexKey) < ttlMs then redis.call('PEXPIRE', indexKey, ttlMs + indexSlackMs) end
return {'alive', ''}
`

export const resumeSessionScript: LuaScript<OneSessionKeys, ResumeSessionArgs> = {
  command: 'sessionResume',
  lua: RESUME_SESSION_LUA,
  keys: ['sessionKey', 'indexKey', 'tombstoneKey'],
  args: ['ttlMs', 'loginAt', 'sessionId', 'indexSlackMs'],
  restArgs: 'hashFields'
}

type ResumeSessionReply = [status: 'alive' | 'ended', endReason: string]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionResume: (...call: ScriptCall) => Result<ResumeSessionReply, Context>
  }
}

// `hashFields`: the field/value pairs the session's hash is re-created with, if it is gone.
export function resumeSessionCall (keys: OneSessionKeys, args: ResumeSessionArgs, hashFields: readonly string[]): ScriptCall {
  return scriptCall(resumeSessionScript, keys, args, { args: hashFields })
}

export function decodeResumeSessionReply ([status, endReason]: ResumeSessionReply): ResumeResult {
  return status === 'alive' ? { status } : { status, reason: endReason as SessionEndReason }
}
