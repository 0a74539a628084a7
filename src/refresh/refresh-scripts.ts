import type { RedisClient } from '../redis/redis-client.js'
import { defineLuaScripts, type RegisteredScript } from '../redis/lua-script.js'
import { issueRefreshTokenScript } from './scripts/issue-refresh-token.js'
import { rotateRefreshTokenScript } from './scripts/rotate-refresh-token.js'

// The Lua scripts of the Redis refresh store, one file each in ./scripts. The store keeps a
// family inside its session hash (fields refresh*), so that every way of ending a session ends
// its refresh tokens with it.
export const REFRESH_SCRIPTS: readonly RegisteredScript[] = [issueRefreshTokenScript, rotateRefreshTokenScript]

export function defineRefreshCommands (redis: RedisClient): void {
  defineLuaScripts(redis, REFRESH_SCRIPTS)
}
