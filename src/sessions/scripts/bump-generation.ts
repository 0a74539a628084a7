import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'

export interface BumpGenerationKeys {
  generationKey: string
}

export interface BumpGenerationArgs {
  generationTtlMs: number
}

// The cut-off of a revoke-all, made before its walk of the index: logins whose password check
// began before it fail to create their session (see create-session.ts). INCR and PEXPIRE are one
// step, so that no counter is ever left without its TTL.
const BUMP_GENERATION_LUA = `
local generationKey = KEYS[1]
local generationTtlMs = tonumber(ARGV[1])
-- Replies the new generation.
local generation = redis.call('INCR', generationKey)
redis.call('PEXPIRE', generationKey, generationTtlMs)
return generation
`

export const bumpGenerationScript: LuaScript<BumpGenerationKeys, BumpGenerationArgs> = {
  command: 'sessionBumpGeneration',
  lua: BUMP_GENERATION_LUA,
  keys: ['generationKey'],
  args: ['generationTtlMs']
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionBumpGeneration: (...call: ScriptCall) => Result<number, Context>
  }
}

export function bumpGenerationCall (keys: BumpGenerationKeys, args: BumpGenerationArgs): ScriptCall {
  return scriptCall(bumpGenerationScript, keys, args)
}
