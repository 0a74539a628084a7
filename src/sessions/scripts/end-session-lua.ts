// Lua scripts keep every multi-key update atomic: a revoke cannot interleave with a touch
// that would otherwise re-extend a key being deleted, and the index never disagrees with
// the sessions for longer than one script.

// Ends one session and leaves its tombstone, which lives only as long as the session would have.
export const END_SESSION_FUNCTION = `
local function endSession (sessionKey, tombstoneKey, reason, fallbackTtlMs)
  local ttl = redis.call('PTTL', sessionKey)
  if ttl == -2 then return 0 end
  if ttl == -1 then ttl = fallbackTtlMs end
  -- PTTL can read 0 in the key's last millisecond; SET refuses PX 0.
  if ttl == 0 then ttl = 1 end
  redis.call('DEL', sessionKey)
  redis.call('SET', tombstoneKey, reason, 'PX', ttl)
  return 1
end
`
