import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'

export interface IssueRefreshTokenKeys {
  sessionKey: string
}

export interface IssueRefreshTokenArgs {
  digest: string
  issuedAt: number
  expiresAt: number
}

// The Redis refresh store keeps a family inside its session hash (fields refresh*), so that
// every way of ending a session ends its refresh tokens with it.
const ISSUE_REFRESH_TOKEN_LUA = `
local sessionKey = KEYS[1]
local digest = ARGV[1]
local issuedAt = ARGV[2]
local expiresAt = ARGV[3]
-- Replies 1, or 0 when the session has already ended.
if redis.call('EXISTS', sessionKey) == 0 then return 0 end
redis.call('HSET', sessionKey, 'refreshDigest', digest, 'refreshIssuedAt', issuedAt, 'refreshExpiresAt', expiresAt)
return 1
`

export const issueRefreshTokenScript: LuaScript<IssueRefreshTokenKeys, IssueRefreshTokenArgs> = {
  command: 'refreshIssue',
  lua: ISSUE_REFRESH_TOKEN_LUA,
  keys: ['sessionKey'],
  args: ['digest', 'issuedAt', 'expiresAt']
}

type IssueRefreshTokenReply = 0 | 1

declare module 'ioredis' {
  interface RedisCommander<Context> {
    refreshIssue: (...call: ScriptCall) => Result<IssueRefreshTokenReply, Context>
  }
}

export function issueRefreshTokenCall (keys: IssueRefreshTokenKeys, args: IssueRefreshTokenArgs): ScriptCall {
  return scriptCall(issueRefreshTokenScript, keys, args)
}

// Whether the token was stored: false when its session has already ended.
export function decodeIssueRefreshTokenReply (reply: IssueRefreshTokenReply): boolean {
  return reply === 1
}
