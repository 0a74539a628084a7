import type { RedisClient } from '../redis/redis-client.js'
import { defineLuaScripts, type RegisteredScript } from '../redis/lua-script.js'
import { bumpGenerationScript } from './scripts/bump-generation.js'
import { createSessionScript } from './scripts/create-session.js'
import { markAuthenticatedScript } from './scripts/mark-authenticated.js'
import { resumeSessionScript } from './scripts/resume-session.js'
import { revokeAllSessionsBatchScript } from './scripts/revoke-all-sessions-batch.js'
import { revokeSessionScript } from './scripts/revoke-session.js'
import { touchSessionScript } from './scripts/touch-session.js'
import { trimSessionsScript } from './scripts/trim-sessions.js'

// The Lua scripts of the Redis session store, one file each in ./scripts.
export const SESSION_SCRIPTS: readonly RegisteredScript[] = [
  createSessionScript,
  trimSessionsScript,
  touchSessionScript,
  resumeSessionScript,
  revokeSessionScript,
  bumpGenerationScript,
  revokeAllSessionsBatchScript,
  markAuthenticatedScript
]

export function defineSessionCommands (redis: RedisClient): void {
  defineLuaScripts(redis, SESSION_SCRIPTS)
}
