import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../redis/lua-script.js'

export interface CountWrongCodeKeys {
  challengeKey: string
}

export interface CountWrongCodeArgs {
  // The wrong codes a challenge takes; the last of them deletes it.
  maxWrongCodes: number
}

// One more wrong code for a login challenge; at the limit the challenge is void. A script, so
// that a challenge that expired or was used meanwhile is not brought back as a key without a TTL,
// and concurrent wrong codes cannot each see room left.
const COUNT_WRONG_CODE_LUA = `
local challengeKey = KEYS[1]
local maxWrongCodes = tonumber(ARGV[1])
-- Replies the wrong codes counted so far, 0 when the challenge is gone.
if redis.call('EXISTS', challengeKey) == 0 then return 0 end
local wrong = redis.call('HINCRBY', challengeKey, 'wrong', 1)
if wrong >= maxWrongCodes then redis.call('DEL', challengeKey) end
return wrong
`

export const countWrongCodeScript: LuaScript<CountWrongCodeKeys, CountWrongCodeArgs> = {
  command: 'loginChallengeCountWrongCode',
  lua: COUNT_WRONG_CODE_LUA,
  keys: ['challengeKey'],
  args: ['maxWrongCodes']
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    loginChallengeCountWrongCode: (...call: ScriptCall) => Result<number, Context>
  }
}

export function countWrongCodeCall (keys: CountWrongCodeKeys, args: CountWrongCodeArgs): ScriptCall {
  return scriptCall(countWrongCodeScript, keys, args)
}
